import Foundation
import Testing

@testable import SimfraPersistence

/// `simfra backup`'s engine against a store that stays open (as a running server's does).
@Suite struct DataDirBackupTests {
    @Test func snapshotOfAnOpenStoreOpensWithEverything() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        for i in 0..<50 { try store.putSync(key("u\(i)"), Array(repeating: UInt8(i), count: 100)) }
        try store.blobs.write([1, 2, 3], to: "s3/bucket/ab/abc-1")
        _ = FileManager.default.createFile(atPath: "\(dir.path)/s3/.tmp/in-flight", contents: Data([9]))

        let out = TempDir()
        defer { out.cleanup() }
        let summary = try DataDirBackup.run(dataDir: dir.path, to: out.path)
        #expect(summary.bodies == 1)
        #expect(summary.bytes == 3)
        #expect(out.bytes("\(out.path)/s3/bucket/ab/abc-1") == [1, 2, 3])
        #expect(!out.exists("\(out.path)/s3/.tmp/in-flight"))
        #expect(out.bytes(out.masterKey) == dir.bytes(dir.masterKey))
        #expect(FileIO.mode(out.masterKey) == 0o600)
        #expect(!out.exists("\(out.path)/simfra.lock"))

        let restored = try PersistenceStore.open(dataDir: out.path, keyHex: nil)
        defer { restored.close() }
        #expect(try restored.count() == 50)
        #expect(try restored.get(key("u49")) == Array(repeating: 49, count: 100))
    }

    @Test func refusesANonEmptyTargetAndANonDataDir() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let target = TempDir()
        defer { target.cleanup() }
        try FileManager.default.createDirectory(atPath: target.path, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(target.path)/x", contents: Data())
        #expect(throws: PersistenceError.self) { _ = try DataDirBackup.run(dataDir: dir.path, to: target.path + "-new") }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        store.close()
        #expect(throws: PersistenceError.self) { _ = try DataDirBackup.run(dataDir: dir.path, to: target.path) }
        #expect(FileManager.default.subpaths(atPath: target.path) == ["x"])
    }
}
