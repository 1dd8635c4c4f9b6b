import Foundation
import Testing

@testable import SimfraPersistence

/// The WAL scanner against WALs SQLite itself wrote, and the startup checks built on it:
/// a torn tail starts, damage before later commits is refused, and a refused start leaves
/// every file (bytes, size, mode, mtime) as it was and creates none.
@Suite struct WALScannerTests {
    static let keyHex = String(repeating: "ab", count: 32)

    /// A data dir as `kill -9` leaves it: `records` committed one transaction each, the WAL
    /// never checkpointed. Returns the copy (the live store is closed afterwards).
    static func crashedDir(records: Int = 6, payload: Int = 3000) throws -> TempDir {
        let live = TempDir()
        defer { live.cleanup() }
        let store = try PersistenceStore.open(dataDir: live.path, keyHex: keyHex)
        for i in 0..<records {
            try store.putSync(key("user\(i)"), Array(repeating: UInt8(i), count: payload))
        }
        let copy = TempDir()
        try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
        for name in ["simfra.db", "simfra.db-wal"] {
            try FileManager.default.copyItem(atPath: "\(live.path)/\(name)", toPath: "\(copy.path)/\(name)")
        }
        store.close()
        return copy
    }

    /// Name → (bytes, size, mode, mtime) of every entry, recursively.
    static func fingerprint(_ dir: TempDir) -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir.path) else { return out }
        while let name = e.nextObject() as? String {
            let path = "\(dir.path)/\(name)"
            var st = stat()
            _ = lstat(path, &st)
            let bytes = fm.contents(atPath: path).map { $0.base64EncodedString() } ?? "-"
            out[name] = "\(st.st_size) \(st.st_mode) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(bytes.hashValue)"
        }
        return out
    }

    static func frameSize(_ scan: WALScan) -> Int { 24 + scan.pageSize }

    static func refusal(_ dir: TempDir) -> String? {
        do {
            let store = try PersistenceStore.open(dataDir: dir.path, keyHex: keyHex)
            store.close()
            return nil
        } catch {
            return error.description
        }
    }

    @Test func cleanWALReplaysEverything() throws {
        let dir = try Self.crashedDir()
        defer { dir.cleanup() }
        let wal = try #require(dir.bytes(dir.wal))
        let scan = WALScanner.scan(wal)
        #expect(scan.headerValid)
        #expect(scan.pageSize == 4096)
        #expect(scan.firstBadFrame == nil)
        #expect(!scan.isDamaged)
        #expect(scan.replayEnd == wal.count)
        #expect(scan.replayedFrames == (wal.count - 32) / Self.frameSize(scan))
        #expect(try WALScanner.scan(path: dir.wal) == scan)
    }

    @Test func tornTailStillStarts() throws {
        let dir = try Self.crashedDir()
        defer { dir.cleanup() }
        var wal = try #require(dir.bytes(dir.wal))
        let full = WALScanner.scan(wal)
        // Cut the last frame in half: the last transaction is unfinished, nothing after it.
        wal.removeLast(Self.frameSize(full) / 2)
        try Data(wal).write(to: URL(fileURLWithPath: dir.wal))
        let scan = WALScanner.scan(wal)
        #expect(!scan.isDamaged)
        #expect(scan.replayedFrames < full.replayedFrames)
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyHex)
        defer { store.close() }
        #expect(try store.get(key("user0")) == Array(repeating: 0, count: 3000))
    }

    @Test func noiseAfterTheLastFrameIsNotDamage() throws {
        let dir = try Self.crashedDir()
        defer { dir.cleanup() }
        var wal = try #require(dir.bytes(dir.wal))
        let size = Self.frameSize(WALScanner.scan(wal))
        var rng = SystemRandomNumberGenerator()
        wal += (0..<(3 * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let scan = WALScanner.scan(wal)
        #expect(scan.firstBadFrame != nil)
        #expect(!scan.isDamaged)
    }

    @Test func damagedFrameBeforeLaterCommitsIsRefusedAndNothingChanges() throws {
        let dir = try Self.crashedDir()
        defer { dir.cleanup() }
        var wal = try #require(dir.bytes(dir.wal))
        let clean = WALScanner.scan(wal)
        let size = Self.frameSize(clean)
        // The commit frames (1-based): damage the frame after the second commit.
        let commits = (0..<clean.replayedFrames).filter { WALScanner.be32(wal, 32 + $0 * size + 4) != 0 }.map { $0 + 1 }
        #expect(commits.count == 6)
        let target = commits[1] + 1
        // One flipped byte in that frame's page.
        wal[32 + (target - 1) * size + 24 + 100] ^= 0x01
        try Data(wal).write(to: URL(fileURLWithPath: dir.wal))
        let scan = WALScanner.scan(wal)
        #expect(scan.firstBadFrame == target)
        #expect(scan.lostCommits == 4)
        #expect(scan.replayedFrames == commits[1])
        #expect(scan.replayEnd == 32 + commits[1] * size)
        #expect(try WALScanner.scan(path: dir.wal) == scan)

        let before = Self.fingerprint(dir)
        let message = try #require(Self.refusal(dir))
        #expect(message.contains("simfra.db-wal is damaged at frame \(target)"))
        #expect(message.contains("truncate -s \(scan.replayEnd)"))
        #expect(Self.fingerprint(dir) == before)
        // The advice works: keeping the replayable prefix starts, with the early records.
        #expect(truncate(dir.wal, off_t(scan.replayEnd)) == 0)
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyHex)
        defer { store.close() }
        #expect(try store.get(key("user1")) == Array(repeating: 1, count: 3000))
        #expect(try store.get(key("user2")) == nil)
    }

    @Test func damagedHeaderIsRefused() throws {
        let dir = try Self.crashedDir()
        defer { dir.cleanup() }
        var wal = try #require(dir.bytes(dir.wal))
        wal[26] ^= 0x40  // header checksum
        var salted = wal
        salted[17] ^= 0x01  // salt-1
        try Data(wal).write(to: URL(fileURLWithPath: dir.wal))
        let scan = WALScanner.scan(wal)
        #expect(!scan.headerValid)
        #expect(scan.isDamaged)
        let before = Self.fingerprint(dir)
        let message = try #require(Self.refusal(dir))
        #expect(message.contains("damaged at its header"))
        #expect(Self.fingerprint(dir) == before)
        #expect(WALScanner.scan(salted).isDamaged)
    }

    @Test func malformedInputNeverTraps() {
        #expect(WALScanner.scan([]) == WALScan(headerValid: false, pageSize: 0, replayedFrames: 0, replayEnd: 0, firstBadFrame: nil, lostCommits: 0))
        var rng = SystemRandomNumberGenerator()
        for n in [1, 31, 32, 33, 56, 4000, 5000, 70000] {
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = WALScanner.scan(bytes)
            if n >= 32 {
                bytes.replaceSubrange(0..<12, with: [0x37, 0x7F, 0x06, 0x82, 0, 0x2D, 0xE2, 0x18, 0, 0, 2, 0])
                _ = WALScanner.scan(bytes)
            }
        }
    }

    // MARK: a database that is gone while what it described is still here

    @Test func missingOrEmptyDatabaseBesideItsDataIsRefusedAndNothingChanges() throws {
        enum Leftover: CaseIterable { case wal, masterKey, body }
        for leftover in Leftover.allCases {
            for emptyDB in [false, true] {
                let dir = TempDir()
                defer { dir.cleanup() }
                let fm = FileManager.default
                try fm.createDirectory(atPath: "\(dir.path)/s3/.tmp", withIntermediateDirectories: true)
                try fm.createDirectory(atPath: "\(dir.path)/bootstrap", withIntermediateDirectories: true)
                if emptyDB { _ = fm.createFile(atPath: dir.db, contents: Data()) }
                switch leftover {
                case .wal: _ = fm.createFile(atPath: dir.wal, contents: Data(repeating: 1, count: 4200))
                case .masterKey: _ = fm.createFile(atPath: dir.masterKey, contents: Data(repeating: 1, count: 32))
                case .body:
                    try fm.createDirectory(atPath: "\(dir.path)/s3/b/ab", withIntermediateDirectories: true)
                    _ = fm.createFile(atPath: "\(dir.path)/s3/b/ab/abc-1", contents: Data("body".utf8))
                }
                let before = Self.fingerprint(dir)
                let message = try #require(Self.refusal(dir), "\(leftover) emptyDB=\(emptyDB) started")
                #expect(message.contains(emptyDB ? "simfra.db is empty" : "simfra.db is missing"))
                #expect(message.contains("refusing to start"))
                #expect(Self.fingerprint(dir) == before, "\(leftover) emptyDB=\(emptyDB)")
            }
        }
    }

    @Test func firstStartLeftoversStillStart() throws {
        // What a first start makes before the database: empty s3/ (with .tmp) and bootstrap/,
        // and a WAL of zero bytes.
        let dir = TempDir()
        defer { dir.cleanup() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(dir.path)/s3/.tmp", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(dir.path)/bootstrap", withIntermediateDirectories: true)
        _ = fm.createFile(atPath: dir.wal, contents: Data())
        _ = fm.createFile(atPath: "\(dir.path)/s3/.tmp/partial", contents: Data("x".utf8))
        try fm.createDirectory(atPath: "\(dir.path)/s3/empty-bucket/ab", withIntermediateDirectories: true)
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        try store.putSync(key("a"), [1])
        store.close()
    }

    /// While serving, the WAL is not checkpointed and restarted every 4 MiB (SQLite's
    /// default), which could hit a live copy between `simfra.db` and `simfra.db-wal`.
    @Test func walIsNotRestartedEveryFewMegabytesWhileServing() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyHex)
        for batch in 0..<30 {
            try store.applySync((0..<100).map { .put(key("u\(batch)-\($0)"), Array(repeating: UInt8(batch), count: 2000)) })
        }
        let wal = try #require(dir.bytes(dir.wal))
        #expect(wal.count > 6 << 20)
        let scan = WALScanner.scan(wal)
        #expect(scan.replayEnd == wal.count)  // one generation, every frame replayable
        store.close()
        #expect((FileIO.size(dir.wal) ?? 0) == 0)  // a clean stop folds it
    }

    @Test func crashedStoreReopensAndCheckpointsAtStart() throws {
        let dir = try Self.crashedDir(records: 20)
        defer { dir.cleanup() }
        #expect((FileIO.size(dir.wal) ?? 0) > 0)
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyHex)
        defer { store.close() }
        // The previous run's WAL was folded into simfra.db before serving.
        #expect((FileIO.size(dir.wal) ?? 0) == 0)
        #expect(try store.count() == 20)
        // And the inspection's private snapshot left no -shm or temp files behind in TMPDIR.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
        #expect(!leftovers.contains { $0.hasPrefix("simfra-inspect-") })
    }
}
