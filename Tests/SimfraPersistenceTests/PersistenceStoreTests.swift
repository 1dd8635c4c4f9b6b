import Foundation
import Testing

@testable import SimfraPersistence

@Suite struct PersistenceStoreTests {
    static let keyA = String(repeating: "0123456789abcdef", count: 4)
    static let keyB = String(repeating: "fedcba9876543210", count: 4)

    // MARK: opening

    @Test func openCreatesLayoutAndPrivateMasterKey() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        #expect(dir.exists(dir.db))
        #expect(dir.exists("\(dir.path)/s3"))
        #expect(dir.exists("\(dir.path)/bootstrap"))
        #expect(dir.bytes(dir.masterKey)?.count == 32)
        #expect(FileIO.mode(dir.masterKey) == 0o600)
        #expect(store.dbPath == dir.db)
        #expect(store.dataDir == dir.path)
    }

    @Test func journalModeIsWAL() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        let db = try SQLiteConnection(path: dir.db, flags: SQLiteConnection.readOnly)
        defer { db.close() }
        #expect(try db.texts("PRAGMA journal_mode") == ["wal"])
        #expect(try db.texts("SELECT value FROM meta WHERE key = 'schema_version'") == ["1"])
    }

    @Test func explicitKeyWritesNoMasterKeyAndReopens() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA.uppercased())
        try store.putSync(key("alice"), [1, 2, 3])
        store.close()
        #expect(!dir.exists(dir.masterKey))
        let again = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA)
        #expect(try again.get(key("alice")) == [1, 2, 3])
        again.close()
        // Without the env key a new key would be generated: refused, and no .master_key appears.
        let before = dir.snapshot()
        #expect(throws: PersistenceError.self) { try PersistenceStore.open(dataDir: dir.path, keyHex: nil) }
        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        } catch {
            guard case .wrongKey = error else { Issue.record("expected wrongKey, got \(error)"); return }
        }
        #expect(!dir.exists(dir.masterKey))
        #expect(dir.snapshot() == before)
    }

    @Test(arguments: [
        String(repeating: "a", count: 63), String(repeating: "a", count: 65), "",
        String(repeating: "g", count: 64), String(repeating: "a", count: 62) + "é",
        " " + String(repeating: "a", count: 63), String(repeating: "a", count: 63) + "\n",
        "0x" + String(repeating: "a", count: 62),
    ])
    func malformedKeyIsRejectedBeforeAnyWrite(bad: String) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: PersistenceError.badKey("SIMFRA_PERSISTENCE_KEY must be exactly 64 hex characters")) {
            try PersistenceStore.open(dataDir: dir.path, keyHex: bad)
        }
        #expect(!dir.exists(dir.path))
    }

    @Test func masterKeyOfWrongSizeIsRejected() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.masterKey, contents: Data(repeating: 7, count: 31))
        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
            Issue.record("opened with a 31-byte master key")
        } catch {
            guard case .badKey(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("31 bytes"))
        }
        #expect(!dir.exists(dir.db))
    }

    @Test func wrongKeyIsRefusedAndNothingChanges() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        try store.putSync(key("alice"), Array("data".utf8))
        store.close()
        let before = dir.snapshot()
        let dbBefore = dir.bytes(dir.db)
        #expect(dbBefore != nil)

        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyB)
            Issue.record("opened with the wrong key")
        } catch {
            #expect(error == .wrongKey(
                "The persistence key does not match the one \(dir.db) was written with: set SIMFRA_PERSISTENCE_KEY to the original key or restore \(dir.masterKey)"))
        }
        #expect(dir.bytes(dir.db) == dbBefore)
        #expect(dir.snapshot() == before)

        // A replaced .master_key is just as wrong.
        try Data(repeating: 9, count: 32).write(to: URL(fileURLWithPath: dir.masterKey))
        let replaced = dir.snapshot()
        #expect(throws: PersistenceError.self) { try PersistenceStore.open(dataDir: dir.path, keyHex: nil) }
        #expect(dir.snapshot() == replaced)
    }

    @Test func wrongKeyAfterCrashLeavesDatabaseFileUntouched() throws {
        // Simulates a kill -9: the WAL still holds committed data when we reopen.
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA)
        try store.putSync(key("alice"), Array("data".utf8))
        let copy = TempDir()
        defer { copy.cleanup() }
        try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
        for name in ["simfra.db", "simfra.db-wal"] {
            try FileManager.default.copyItem(atPath: "\(dir.path)/\(name)", toPath: "\(copy.path)/\(name)")
        }
        store.close()
        let dbBefore = copy.bytes(copy.db)
        let walBefore = copy.bytes(copy.wal)
        #expect((walBefore?.count ?? 0) > 0)
        #expect(throws: PersistenceError.self) { try PersistenceStore.open(dataDir: copy.path, keyHex: Self.keyB) }
        #expect(copy.bytes(copy.db) == dbBefore)
        #expect(copy.bytes(copy.wal) == walBefore)
        // And the right key recovers the record from the WAL.
        let recovered = try PersistenceStore.open(dataDir: copy.path, keyHex: Self.keyA)
        #expect(try recovered.get(key("alice")) == Array("data".utf8))
        recovered.close()
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try PersistenceStore.open(dataDir: dir.path, keyHex: nil).close()
        try rawSQL(dir.db, "UPDATE meta SET value = 99 WHERE key = 'schema_version'")
        let before = dir.snapshot()
        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
            Issue.record("opened a schema-99 database")
        } catch {
            guard case .newerSchema(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("written by a newer Simfra (schema 99, this binary knows 1)"))
            #expect(message.contains(dir.db))
        }
        #expect(dir.snapshot() == before)
    }

    @Test func garbageDatabaseIsCorruptAndUntouched() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let garbage = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        _ = FileManager.default.createFile(atPath: dir.db, contents: Data(garbage))
        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA)
            Issue.record("opened garbage")
        } catch {
            guard case .corrupt(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("\(dir.db) is not a SQLite database"))
        }
        #expect(dir.bytes(dir.db) == garbage)
        #expect(Set(dir.snapshot().keys) == ["simfra.db"])
    }

    @Test func truncatedDatabaseIsCorruptAndUntouched() throws {
        let source = TempDir()
        defer { source.cleanup() }
        let store = try PersistenceStore.open(dataDir: source.path, keyHex: Self.keyA)
        try store.applySync((0..<2000).map { .put(key("user\($0)"), Array(repeating: UInt8($0 & 0xFF), count: 300)) })
        store.close()
        let full = try #require(source.bytes(source.db))
        #expect(full.count > 100_000)

        for cut in [full.count / 2, full.count - 4096, 4096 * 3 + 100] {
            let dir = TempDir()
            defer { dir.cleanup() }
            try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
            let truncated = Array(full.prefix(cut))
            _ = FileManager.default.createFile(atPath: dir.db, contents: Data(truncated))
            do {
                _ = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA)
                Issue.record("opened a database truncated to \(cut) bytes")
            } catch {
                guard case .corrupt(let message) = error else { Issue.record("cut \(cut): got \(error)"); continue }
                #expect(message.contains(dir.db))
            }
            #expect(dir.bytes(dir.db) == truncated)
            #expect(Set(dir.snapshot().keys) == ["simfra.db"])
        }
    }

    @Test func foreignSQLiteDatabaseIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let db = try SQLiteConnection(path: dir.db, flags: SQLiteConnection.readWriteCreate)
        try db.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1);")
        db.close()
        let before = dir.bytes(dir.db)
        #expect(throws: PersistenceError.self) { try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA) }
        #expect(dir.bytes(dir.db) == before)
    }

    @Test func secondOpenOfSameDirectoryIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        do {
            _ = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
            Issue.record("two stores on one directory")
        } catch {
            guard case .io(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("another Simfra process"))
        }
        store.close()
        try PersistenceStore.open(dataDir: dir.path, keyHex: nil).close()
    }

    // MARK: writes and reads

    @Test func putGetDeleteRoundTrip() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        let alice = key("alice")
        #expect(try store.get(alice) == nil)
        try await store.put(alice, [1, 2, 3])
        #expect(try store.get(alice) == [1, 2, 3])
        try await store.put(alice, [4])
        #expect(try store.get(alice) == [4])
        try await store.put(alice, [])  // empty blob, not NULL
        #expect(try store.get(alice) == [])
        let odd = key("nul\u{0}id/é/../x", region: "us-east-1")
        try await store.put(odd, [9])
        #expect(try store.get(odd) == [9])
        #expect(try store.loadAll(service: "iam").map(\.0) == [alice, odd])
        try await store.delete(alice)
        #expect(try store.get(alice) == nil)
        try await store.delete(alice)  // deleting a missing record is fine
        #expect(try store.count(service: "iam") == 1)
    }

    @Test func loadAllIsOrderedAndScopedToService() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        let keys = [
            key("b", kind: "user"), key("a", kind: "user"), key("z", kind: "role"),
            key("a", kind: "user", account: "111111111111"), key("a", kind: "user", region: "eu-west-1"),
            key("x", service: "kms", kind: "key"),
        ]
        try await store.apply(keys.map { .put($0, Array($0.id.utf8)) })
        let loaded = try store.loadAll(service: "iam").map(\.0)
        #expect(loaded == [
            key("z", kind: "role"), key("a", kind: "user"), key("b", kind: "user"),
            key("a", kind: "user", region: "eu-west-1"), key("a", kind: "user", account: "111111111111"),
        ])
        #expect(try store.loadAll(service: "iam", kind: "role").map(\.0) == [key("z", kind: "role")])
        #expect(try store.count(service: "kms") == 1)
        #expect(try store.count() == 6)

        try await store.deleteAll(service: "iam", kind: "user", account: "000000000000")
        #expect(try store.loadAll(service: "iam").map(\.0) == [key("z", kind: "role"), key("a", kind: "user", account: "111111111111")])
        try await store.deleteAll(service: "iam")
        #expect(try store.count() == 1)
    }

    @Test func batchAppliesPutsAndDeletesTogether() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        try await store.put(key("keep"), [1])
        try await store.apply([.put(key("a"), [1]), .put(key("b"), [2]), .delete(key("keep"))])
        #expect(try store.loadAll(service: "iam").map(\.0.id) == ["a", "b"])
    }

    @Test func failedBatchRollsBackAndFailsEveryWaiter() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        try await store.put(key("keep"), [1])
        // A trigger makes one specific insert fail inside the writer's transaction.
        try rawSQL(dir.db, """
            CREATE TRIGGER boom BEFORE INSERT ON records WHEN NEW.id = 'boom'
            BEGIN SELECT RAISE(ABORT, 'boom'); END;
            """)
        await #expect(throws: PersistenceError.self) {
            try await store.apply([.put(key("a"), [1]), .delete(key("keep")), .put(key("boom"), [2])])
        }
        #expect(try store.get(key("a")) == nil)
        #expect(try store.get(key("keep")) == [1])
        // The writer keeps working after a failed batch.
        try await store.put(key("after"), [3])
        #expect(try store.get(key("after")) == [3])
    }

    @Test func groupCommitOf200ConcurrentPutsSurvivesReopen() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store.put(key("user\(i)", region: "us-east-1"), Array("value-\(i)".utf8))
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.count(service: "iam") == 200)
        #expect(store.transactionCount <= 200)
        store.close()

        let reopened = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { reopened.close() }
        let all = try reopened.loadAll(service: "iam")
        #expect(all.count == 200)
        for (k, v) in all { #expect(v == Array("value-\(k.id.dropFirst(4))".utf8)) }
    }

    @Test func submitTicketsCommitInQueueOrder() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        let tickets = (0..<100).map { store.submit([.put(key("same"), [UInt8($0)])]) }
        for t in tickets { try await t.wait() }
        #expect(tickets.allSatisfy { $0.isDone })
        #expect(try store.get(key("same")) == [99])
    }

    @Test func writesAfterCloseFail() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        store.close()
        store.close()
        await #expect(throws: PersistenceError.self) { try await store.put(key("x"), [1]) }
        #expect(throws: PersistenceError.self) { try store.get(key("x")) }
    }

    // MARK: sealing

    @Test func sealRoundTripAndTamperDetection() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: Self.keyA)
        defer { store.close() }
        let aad = key("alice").aad(field: "SecretAccessKey")
        #expect(aad == "iam/user/000000000000//alice/SecretAccessKey")
        let secret = Array("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".utf8)
        let sealed = store.seal(secret, aad: aad)
        #expect(sealed.count == 12 + secret.count + 16)
        #expect(store.seal(secret, aad: aad) != sealed)  // fresh nonce each time
        #expect(try store.unseal(sealed, aad: aad) == secret)
        #expect(try store.unseal(store.seal([], aad: aad), aad: aad) == [])

        #expect(throws: PersistenceError.self) { try store.unseal(sealed, aad: key("bob").aad(field: "SecretAccessKey")) }
        for index in [0, 11, 12, sealed.count / 2, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: PersistenceError.self) { try store.unseal(tampered, aad: aad) }
        }
        #expect(throws: PersistenceError.self) { try store.unseal(Array(sealed.dropLast()), aad: aad) }
        #expect(throws: PersistenceError.self) { try store.unseal([1, 2, 3], aad: aad) }

        // Another key cannot open it.
        let other = TempDir()
        defer { other.cleanup() }
        let otherStore = try PersistenceStore.open(dataDir: other.path, keyHex: Self.keyB)
        defer { otherStore.close() }
        #expect(throws: PersistenceError.self) { try otherStore.unseal(sealed, aad: aad) }
    }

    @Test func sealedPlaintextNeverReachesDisk() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        let secret = Array("TOP-SECRET-PLAINTEXT-7f3a9c".utf8)
        let marker = Array("PLAIN-MARKER-1b2c3d".utf8)
        let k = key("alice")
        let record = Array("{\"name\":\"alice\",\"note\":\"".utf8) + marker + Array("\",\"secret\":\"".utf8)
            + store.seal(secret, aad: k.aad(field: "secret")) + Array("\"}".utf8)
        try await store.put(k, record)
        let walAndDb = (dir.bytes(dir.wal) ?? []) + (dir.bytes(dir.db) ?? [])
        #expect(contains(walAndDb, marker))  // the scan does see record bytes
        #expect(!contains(walAndDb, secret))
        store.close()
        let afterClose = (dir.bytes(dir.wal) ?? []) + (dir.bytes(dir.db) ?? [])
        #expect(contains(afterClose, marker))
        #expect(!contains(afterClose, secret))
    }

    // MARK: summary

    @Test func summaryCountsAndJSON() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try PersistenceStore.open(dataDir: dir.path, keyHex: nil)
        defer { store.close() }
        try await store.apply([
            .put(key("a"), Array(repeating: 1, count: 10)),
            .put(key("b"), Array(repeating: 1, count: 5)),
            .put(key("k1", service: "kms", kind: "key", region: "us-east-1"), Array(repeating: 2, count: 100)),
        ])
        let s = store.summary()
        #expect(s.enabled)
        #expect(s.total == 3)
        #expect(s.services == [.init(service: "iam", size: 15), .init(service: "kms", size: 100)])
        let onDisk = (FileIO.size(dir.db) ?? 0) + (FileIO.size(dir.wal) ?? 0)
        #expect(s.dbSize == onDisk)
        #expect(s.dbSize > 0)
        #expect(s.json() == """
            {"enabled":true,"dataDir":"\(dir.path)","dbPath":"\(dir.db)","dbSize":\(onDisk),"total":3,"services":[{"service":"iam","size":15},{"service":"kms","size":100}]}
            """)
        let parsed = try JSONSerialization.jsonObject(with: Data(s.jsonBytes())) as? [String: Any]
        #expect(parsed?["total"] as? Int == 3)
    }

    @Test func summaryJSONEscapes() throws {
        let s = StorageSummary(enabled: true, dataDir: "/a\"b\\c\n\u{1}é", dbPath: "/x", dbSize: 1, total: 2,
                               services: [.init(service: "q\"", size: 3)])
        let object = try JSONSerialization.jsonObject(with: Data(s.jsonBytes())) as? [String: Any]
        #expect(object?["dataDir"] as? String == "/a\"b\\c\n\u{1}é")
        #expect(StorageSummary.disabled.json()
            == #"{"enabled":false,"dataDir":"","dbPath":"","dbSize":0,"total":0,"services":[]}"#)
    }
}
