import SimfraCore
import CSQLite
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The durable store behind `SIMFRA_DATA_DIR`.
///
/// Layout of the data directory:
/// - `simfra.db` (+ `-wal`, `-shm`): SQLite in WAL mode, `synchronous=NORMAL`. A commit is in
///   the OS before `COMMIT` returns, so `kill -9` cannot lose an acknowledged write (a power
///   cut can lose the last few).
/// - `.master_key`: 32 random bytes, mode 0600, unless `SIMFRA_PERSISTENCE_KEY` is set.
/// - `s3/`: object bodies (`BlobStore`), `bootstrap/`: reserved for startup scripts.
/// - `simfra.lock`: `flock`ed while a store is open, so two processes cannot share a directory.
///
/// Opening validates everything (key format, database header, `quick_check`, schema version,
/// key check) through a read-only connection before anything in the directory is written.
package final class PersistenceStore: Sendable {
    package static let currentSchemaVersion = 1
    static let keyCheckPlaintext: [UInt8] = Array("simfra-key-check-v1".utf8)
    static let keyCheckAAD: [UInt8] = Array("simfra/meta/key_check".utf8)
    static let sqliteHeader: [UInt8] = Array("SQLite format 3".utf8) + [0]

    /// `runMigration(from: v)` upgrades a database from schema `v` to `v + 1`; each step runs in
    /// its own transaction together with the `schema_version` update. Step 0 creates v1. Add a
    /// case per new version and bump `currentSchemaVersion`. (A switch rather than an array of
    /// typed-throws closures: Swift 6.3's SILGen crashes on the latter.)
    static func runMigration(from version: Int, _ db: SQLiteConnection) throws(PersistenceError) {
        switch version {
        case 0:
            try db.exec(
                """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value BLOB);
                CREATE TABLE IF NOT EXISTS records(
                    service TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL,
                    region TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY(service, kind, account, region, id)
                ) WITHOUT ROWID;
                """)
        default:
            preconditionFailure("no migration from schema \(version)")
        }
    }

    /// WAL pages after which SQLite checkpoints on its own (256 MiB at 4 KiB pages) instead
    /// of SQLite's default 1,000 (4 MiB). A checkpoint followed by a WAL restart between
    /// copying `simfra.db` and copying `simfra.db-wal` is the one thing that can make a live
    /// `cp -a` inconsistent; Simfra folds the WAL at start and at a clean stop instead, so a
    /// running server restarts its WAL only once per 256 MiB of writes (hours of typical
    /// use), at the price of a WAL file up to that size while it runs.
    package static let walAutocheckpointPages = 65_536

    package let dataDir: String
    package let dbPath: String
    package let blobs: BlobStore
    private let sealer: any Sealer
    private let writer: WriterThread
    private let reader: Mutex<SQLiteConnection?>
    private let lockFD: Mutex<Int32>

    private init(dataDir: String, dbPath: String, sealer: any Sealer, writer: WriterThread,
                 reader: sending SQLiteConnection, lockFD: Int32) {
        self.dataDir = dataDir
        self.dbPath = dbPath
        self.blobs = BlobStore(dataDir: dataDir)
        self.sealer = sealer
        self.writer = writer
        self.reader = Mutex(reader)
        self.lockFD = Mutex(lockFD)
    }

    deinit { close() }

    // MARK: opening

    /// Opens (creating if needed) the store in `dataDir`. `keyHex` is `SIMFRA_PERSISTENCE_KEY`
    /// when set (an empty string counts as set, and is rejected).
    package static func open(dataDir: String, keyHex: String?) throws(PersistenceError) -> PersistenceStore {
        try open(dataDir: dataDir, keyHex: keyHex, sealerFactory: { CryptoSealer(key: $0) })
    }

    package static func open(dataDir rawDataDir: String, keyHex: String?, sealerFactory: SealerFactory)
        throws(PersistenceError) -> PersistenceStore
    {
        // 1. Validate the key format before touching the file system at all.
        var explicitKey: [UInt8]?
        if let keyHex {
            guard keyHex.utf8.count == 64, let bytes = Hex.decode(keyHex) else {
                throw .badKey("SIMFRA_PERSISTENCE_KEY must be exactly 64 hex characters")
            }
            explicitKey = bytes
        }

        let dataDir = absolute(rawDataDir)
        let dbPath = "\(dataDir)/simfra.db"
        let keyPath = "\(dataDir)/.master_key"
        switch FileIO.kind(dataDir) {
        case .missing, .directory: break
        case .file, .other: throw .io("\(dataDir) exists and is not a directory")
        }

        // 2. Resolve the key without writing anything.
        let key: [UInt8]
        var generatedKey = false
        if let explicitKey {
            key = explicitKey
        } else {
            switch FileIO.kind(keyPath) {
            case .missing:
                var rng = SystemRandomNumberGenerator()
                key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
                generatedKey = true
            case .file:
                key = try FileIO.readAll(keyPath)
                guard key.count == 32 else {
                    throw .badKey(
                        "\(keyPath) is \(key.count) bytes, expected exactly 32 raw bytes: restore the original file or set SIMFRA_PERSISTENCE_KEY")
                }
            case .directory, .other:
                throw .badKey("\(keyPath) is not a regular file")
            }
        }
        let sealer = sealerFactory(key)

        // 2b. A database that is gone while what it described is still here: refuse rather
        //     than start empty (which would sweep every S3 body and let SQLite drop the WAL).
        try refuseLostDatabase(dataDir: dataDir, dbPath: dbPath, keyPath: keyPath)

        // 3. If a lock file exists, take the lock first (opening it writes nothing), so that
        //    we never inspect a database another process is writing.
        let heldLock = try acquireLock(dataDir, create: false)
        var keepLock = false
        defer { if !keepLock, let heldLock { posixClose(heldLock) } }

        // 4. Validate an existing database through a read-only connection.
        var existingVersion = 0
        switch FileIO.kind(dbPath) {
        case .missing: break
        case .directory, .other: throw .corrupt("\(dbPath) is not a regular file; refusing to touch it")
        case .file:
            if (FileIO.size(dbPath) ?? 0) > 0 {
                let inspection = try inspect(dbPath: dbPath)
                existingVersion = inspection.version
                if inspection.version > currentSchemaVersion {
                    throw .newerSchema(
                        "\(dbPath) was written by a newer Simfra (schema \(inspection.version), this binary knows \(currentSchemaVersion)); upgrade Simfra or use another SIMFRA_DATA_DIR")
                }
                if inspection.version >= 1 {
                    guard let check = inspection.keyCheck else {
                        throw .corrupt("\(dbPath) has schema \(inspection.version) but no key check in its meta table; refusing to re-key it")
                    }
                    guard sealer.open(check, aad: keyCheckAAD) == keyCheckPlaintext else {
                        throw .wrongKey(
                            "The persistence key does not match the one \(dbPath) was written with: set SIMFRA_PERSISTENCE_KEY to the original key or restore \(keyPath)")
                    }
                }
            }
        }

        // 5. Everything checks out: now create what is missing.
        try FileIO.makeDirectories(dataDir)
        try FileIO.makeDirectory("\(dataDir)/s3")
        try FileIO.makeDirectory("\(dataDir)/bootstrap")
        try FileIO.fsyncDirectory(dataDir)
        if generatedKey {
            try FileIO.createExclusive(keyPath, key, mode: 0o600, directory: dataDir)
        }
        let lockFD: Int32
        if let heldLock {
            lockFD = heldLock
        } else {
            guard let fd = try acquireLock(dataDir, create: true) else { throw .io("cannot create \(dataDir)/simfra.lock") }
            lockFD = fd
        }

        do throws(PersistenceError) {
            let db = try SQLiteConnection(path: dbPath, flags: SQLiteConnection.readWriteCreate)
            try configure(db)
            let journal = try db.texts("PRAGMA journal_mode=WAL")
            guard journal == ["wal"] else {
                throw .sqlite(code: SQLITE_ERROR, message: "PRAGMA journal_mode=WAL on \(dbPath) returned \(journal)")
            }
            try db.exec("PRAGMA synchronous=NORMAL")
            try db.exec("PRAGMA foreign_keys=OFF")
            try migrate(db, from: existingVersion, sealer: sealer)
            // Fold the previous run's WAL into the database now, then rarely rewrite the WAL
            // while serving (see `walAutocheckpointPages`): a live `cp -a` stays consistent.
            try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
            try db.exec("PRAGMA wal_autocheckpoint=\(walAutocheckpointPages)")

            let reader = try SQLiteConnection(path: dbPath, flags: SQLiteConnection.readOnly)
            try configure(reader)
            let writer = WriterThread(connection: db)
            writer.start()
            keepLock = true
            return PersistenceStore(dataDir: dataDir, dbPath: dbPath, sealer: sealer, writer: writer,
                                    reader: reader, lockFD: lockFD)
        } catch {
            if heldLock == nil { posixClose(lockFD) }
            throw error
        }
    }

    private static func configure(_ db: SQLiteConnection) throws(PersistenceError) {
        try db.exec("PRAGMA busy_timeout=10000")
    }

    struct Inspection {
        var version: Int
        var keyCheck: [UInt8]?
    }

    /// Read-only validation of an existing, non-empty database file: header, `quick_check`,
    /// schema version and key check. Writes nothing in the data directory, not even `-shm`.
    static func inspect(dbPath: String) throws(PersistenceError) -> Inspection {
        let header = try FileIO.readPrefix(dbPath, count: 16)
        guard header == sqliteHeader else {
            throw .corrupt("\(dbPath) is not a SQLite database (bad header); refusing to touch it: move it aside or restore a backup")
        }
        // With no (or an empty) WAL the main file is complete: open it immutable so that not
        // even `-wal`/`-shm` files are created. Otherwise SQLite must replay the WAL, and even
        // a read-only connection writes the `-shm` index beside it: check the WAL for damage,
        // then open a private snapshot (hard links, or copies across file systems) of the two
        // files in a temporary directory, so a refused start leaves every file as it was.
        let walPath = "\(dbPath)-wal"
        let walSize = FileIO.size(walPath) ?? 0
        guard walSize > 0 else {
            return try inspectOpen(uri: fileURI(dbPath) + "?immutable=1", dbPath: dbPath)
        }
        try refuseDamagedWAL(walPath)
        guard let snapshot = try? FileIO.makeTemporaryDirectory(prefix: "simfra-inspect-") else {
            // No private snapshot possible (no usable temp dir): inspect in place rather than
            // refuse a healthy directory; only `-shm` can be written then.
            return try inspectOpen(uri: fileURI(dbPath), dbPath: dbPath)
        }
        defer { FileIO.removeTree(snapshot) }
        do throws(PersistenceError) {
            try FileIO.linkOrCopy(dbPath, to: "\(snapshot)/simfra.db", durable: false)
            try FileIO.linkOrCopy(walPath, to: "\(snapshot)/simfra.db-wal", durable: false)
        } catch {
            return try inspectOpen(uri: fileURI(dbPath), dbPath: dbPath)
        }
        return try inspectOpen(uri: fileURI("\(snapshot)/simfra.db"), dbPath: dbPath)
    }

    /// Refuses a WAL that SQLite would replay only in part (see `WALScanner`).
    static func refuseDamagedWAL(_ walPath: String) throws(PersistenceError) {
        let scan = try WALScanner.scan(path: walPath)
        guard scan.isDamaged else { return }
        let where_ = scan.firstBadFrame == 0 ? "its header" : "frame \(scan.firstBadFrame ?? 0)"
        var advice = "move \(walPath) aside to start from the last checkpoint"
        if scan.headerValid {
            advice = "to keep the \(scan.replayedFrames) frames before the damage run `truncate -s \(scan.replayEnd) \(walPath)` (copy it first), or "
                + advice
        }
        throw .corrupt(
            "\(walPath) is damaged at \(where_): SQLite would silently drop \(scan.lostCommits) committed transaction(s) after it; refusing to start: \(advice)")
    }

    /// Refuses a missing or empty `simfra.db` beside what only a database that existed leaves
    /// behind: S3 bodies, a non-empty WAL, or a generated master key. A first start (no such
    /// files, or only the empty `s3/` and `bootstrap/` directories a first start makes) is
    /// fine, and so are empty bucket directories and temp files in `s3/.tmp`.
    static func refuseLostDatabase(dataDir: String, dbPath: String, keyPath: String) throws(PersistenceError) {
        switch FileIO.kind(dbPath) {
        case .missing: break
        case .file: if (FileIO.size(dbPath) ?? 0) > 0 { return }
        case .directory, .other: return  // reported by the inspection
        }
        let state = FileIO.kind(dbPath) == .missing ? "missing" : "empty"
        var evidence: [String] = []
        if (FileIO.size("\(dbPath)-wal") ?? 0) > 0 { evidence.append("a non-empty \(dbPath)-wal") }
        if FileIO.containsFile("\(dataDir)/s3", ignoring: [".tmp"]) { evidence.append("S3 bodies in \(dataDir)/s3") }
        if FileIO.kind(keyPath) != .missing { evidence.append(keyPath) }
        guard !evidence.isEmpty else { return }
        throw .corrupt(
            "\(dbPath) is \(state) but the directory still holds \(evidence.joined(separator: " and ")); refusing to start (starting empty would delete them): restore simfra.db from a backup, or use a new SIMFRA_DATA_DIR")
    }

    private static func inspectOpen(uri: String, dbPath: String) throws(PersistenceError) -> Inspection {
        do throws(PersistenceError) {
            let db = try SQLiteConnection(path: uri, flags: SQLiteConnection.readOnly | SQLITE_OPEN_URI)
            defer { db.close() }
            try configure(db)
            let check = try db.texts("PRAGMA quick_check")
            guard check == ["ok"] else {
                let detail = check.prefix(3).joined(separator: "; ")
                throw .corrupt("\(dbPath) failed PRAGMA quick_check (\(detail)); refusing to touch it: move it aside or restore a backup")
            }
            let tables = try db.texts("SELECT name FROM sqlite_master WHERE type = 'table'")
            if tables.isEmpty { return Inspection(version: 0, keyCheck: nil) }
            guard tables.contains("meta") else {
                throw .corrupt("\(dbPath) is a SQLite database but not a Simfra one (no meta table); refusing to touch it")
            }
            return Inspection(version: try readVersion(db, dbPath: dbPath), keyCheck: try readMeta(db, "key_check"))
        } catch {
            if case .sqlite(let code, let message) = error, [SQLITE_CORRUPT, SQLITE_NOTADB].contains(code & 0xFF) {
                throw .corrupt("\(dbPath) is damaged (\(message)); refusing to touch it: move it aside or restore a backup")
            }
            throw error
        }
    }

    static func readMeta(_ db: SQLiteConnection, _ key: String) throws(PersistenceError) -> [UInt8]? {
        let s = try db.prepare("SELECT value FROM meta WHERE key = ?1")
        try s.bind(1, text: key)
        guard try s.step(), !s.isNull(0) else { return nil }
        return s.blob(0)
    }

    /// `schema_version` from `meta` (0 when absent). Accepts an INTEGER or a decimal TEXT/BLOB.
    static func readVersion(_ db: SQLiteConnection, dbPath: String) throws(PersistenceError) -> Int {
        let s = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
        guard try s.step() else { return 0 }
        if s.type(0) == SQLITE_INTEGER { return Int(s.int(0)) }
        if let v = Int(String(decoding: s.blob(0), as: UTF8.self)) { return v }
        throw .corrupt("\(dbPath) has an unreadable schema_version in its meta table")
    }

    private static func migrate(_ db: SQLiteConnection, from: Int, sealer: any Sealer) throws(PersistenceError) {
        var version = from
        // Re-read under the write connection: authoritative.
        let hasMeta = try db.texts("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        if !hasMeta.isEmpty { version = try readVersion(db, dbPath: db.path) }
        if version > currentSchemaVersion {
            throw .newerSchema("\(db.path) was written by a newer Simfra (schema \(version), this binary knows \(currentSchemaVersion))")
        }
        while version < currentSchemaVersion {
            try db.exec("BEGIN IMMEDIATE")
            do throws(PersistenceError) {
                try runMigration(from: version, db)
                if version == 0 {
                    let check = sealer.seal(keyCheckPlaintext, aad: keyCheckAAD)
                    try db.run("INSERT OR REPLACE INTO meta(key, value) VALUES('key_check', ?1)") { (s) throws(PersistenceError) in
                        try s.bind(1, blob: check)
                    }
                }
                try db.run("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)") { (s) throws(PersistenceError) in
                    try s.bind(1, int: Int64(version + 1))
                }
                try db.exec("COMMIT")
            } catch {
                if !db.isAutocommit { try? db.exec("ROLLBACK") }
                throw error
            }
            version += 1
        }
    }

    /// `flock`s `simfra.lock`. With `create: false` a missing file yields nil.
    private static func acquireLock(_ dataDir: String, create: Bool) throws(PersistenceError) -> Int32? {
        let path = "\(dataDir)/simfra.lock"
        if !create && FileIO.kind(path) == .missing { return nil }
        let fd = posixOpen(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o600)
        if fd < 0 { throw FileIO.fail("cannot open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            posixClose(fd)
            if code == EWOULDBLOCK {
                throw .io("another Simfra process is using \(dataDir) (\(path) is locked)")
            }
            throw FileIO.fail("cannot lock", path, code)
        }
        return fd
    }

    private static func absolute(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p.hasPrefix("/") { return p }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return p }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if p.isEmpty || p == "." { return cwd }
        return cwd == "/" ? "/" + p : cwd + "/" + p
    }

    /// `file:` URI with the path percent-encoded (for `immutable=1`).
    private static func fileURI(_ path: String) -> String {
        var out = "file:"
        for b in path.utf8 {
            let unreserved = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2F || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(Hex.digits[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(Hex.digits[Int(b & 0xF)]))
            }
        }
        return out
    }

    // MARK: closing

    /// Drains pending writes, checkpoints, closes both connections and releases the lock.
    /// Idempotent; later writes fail with `.io`.
    package func close() {
        reader.withLock { connection in
            connection?.close()
            connection = nil
        }
        writer.stop()
        lockFD.withLock { fd in
            if fd >= 0 {
                posixClose(fd)
                fd = -1
            }
        }
    }

    // MARK: writes

    /// Enqueues `ops` as one atomic unit and returns at once; `await ticket.wait()` returns
    /// after the transaction containing them has committed. Use this while holding a service
    /// lock so the database sees mutations in the same order as memory.
    package func submit(_ ops: [WriteOp]) -> CommitTicket {
        writer.submit(ops)
    }

    /// Applies `ops` atomically; returns after COMMIT.
    package func apply(_ ops: [WriteOp]) async throws(PersistenceError) {
        if ops.isEmpty { return }
        try await writer.submit(ops).wait()
    }

    package func put(_ key: RecordKey, _ data: [UInt8]) async throws(PersistenceError) {
        try await writer.submit([.put(key, data)]).wait()
    }

    package func delete(_ key: RecordKey) async throws(PersistenceError) {
        try await writer.submit([.delete(key)]).wait()
    }

    package func deleteAll(service: String, kind: String? = nil, account: String? = nil, region: String? = nil)
        async throws(PersistenceError)
    {
        try await writer.submit([.deleteAll(service: service, kind: kind, account: account, region: region)]).wait()
    }

    /// Blocking variants for tests and startup code (never call on the cooperative pool).
    package func applySync(_ ops: [WriteOp]) throws(PersistenceError) {
        if ops.isEmpty { return }
        try writer.submit(ops).waitSync()
    }

    package func putSync(_ key: RecordKey, _ data: [UInt8]) throws(PersistenceError) {
        try applySync([.put(key, data)])
    }

    package func deleteSync(_ key: RecordKey) throws(PersistenceError) {
        try applySync([.delete(key)])
    }

    /// Number of write transactions committed (or attempted) so far.
    package var transactionCount: Int { writer.transactions }

    // MARK: reads (separate read-only connection)

    private func withReader<T: Sendable>(_ body: (SQLiteConnection) throws(PersistenceError) -> T) throws(PersistenceError) -> T {
        let result: Result<T, PersistenceError> = reader.withLock { connection in
            guard let connection else { return .failure(.io("the persistence store is closed")) }
            do throws(PersistenceError) {
                return .success(try body(connection))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    package func get(_ key: RecordKey) throws(PersistenceError) -> [UInt8]? {
        try withReader { (db) throws(PersistenceError) -> [UInt8]? in
            let s = try db.cached(
                "SELECT data FROM records WHERE service = ?1 AND kind = ?2 AND account = ?3 AND region = ?4 AND id = ?5")
            defer { s.reset() }
            try WriterThread.bind(key, to: s)
            return try s.step() ? s.blob(0) : nil
        }
    }

    /// Every record of `service` (optionally of one `kind`), ordered by kind, account, region, id.
    package func loadAll(service: String, kind: String? = nil) throws(PersistenceError) -> [(RecordKey, [UInt8])] {
        try withReader { (db) throws(PersistenceError) -> [(RecordKey, [UInt8])] in
            let sql = kind == nil
                ? "SELECT kind, account, region, id, data FROM records WHERE service = ?1 ORDER BY kind, account, region, id"
                : "SELECT kind, account, region, id, data FROM records WHERE service = ?1 AND kind = ?2 ORDER BY kind, account, region, id"
            let s = try db.cached(sql)
            defer { s.reset() }
            try s.bind(1, text: service)
            if let kind { try s.bind(2, text: kind) }
            var out: [(RecordKey, [UInt8])] = []
            while try s.step() {
                let key = RecordKey(service: service, kind: s.text(0), account: s.text(1), region: s.text(2), id: s.text(3))
                out.append((key, s.blob(4)))
            }
            return out
        }
    }

    /// Records of `service`, or of every service when nil.
    package func count(service: String? = nil) throws(PersistenceError) -> Int {
        try withReader { (db) throws(PersistenceError) -> Int in
            let s = try db.cached(service == nil ? "SELECT count(*) FROM records" : "SELECT count(*) FROM records WHERE service = ?1")
            defer { s.reset() }
            if let service { try s.bind(1, text: service) }
            return try s.step() ? Int(s.int(0)) : 0
        }
    }

    /// Sizes and counts for the storage endpoint. On a read error the counts are zero.
    package func summary() -> StorageSummary {
        let dbSize = (FileIO.size(dbPath) ?? 0) + (FileIO.size("\(dbPath)-wal") ?? 0)
        let counts = try? withReader { (db) throws(PersistenceError) -> (Int64, [StorageSummary.Service]) in
            let total = try db.cached("SELECT count(*) FROM records")
            defer { total.reset() }
            let n = try total.step() ? total.int(0) : 0
            let s = try db.cached("SELECT service, sum(length(data)) FROM records GROUP BY service ORDER BY service")
            defer { s.reset() }
            var services: [StorageSummary.Service] = []
            while try s.step() { services.append(.init(service: s.text(0), size: s.int(1))) }
            return (n, services)
        }
        return StorageSummary(enabled: true, dataDir: dataDir, dbPath: dbPath, dbSize: dbSize,
                              total: counts?.0 ?? 0, services: counts?.1 ?? [])
    }

    // MARK: sealing

    /// AES-256-GCM under the master key with a fresh nonce: nonce || ciphertext || tag.
    /// `aad` names the record and field (`RecordKey.aad(field:)`).
    package func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] {
        sealer.seal(plaintext, aad: Array(aad.utf8))
    }

    package func unseal(_ sealed: [UInt8], aad: String) throws(PersistenceError) -> [UInt8] {
        guard let plaintext = sealer.open(sealed, aad: Array(aad.utf8)) else {
            throw .corrupt("sealed value for \(aad) failed authentication (tampered, or sealed for another record)")
        }
        return plaintext
    }
}

// `open`/`close` are shadowed by the static/instance methods above.
@inline(__always) private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

@inline(__always) private func posixClose(_ fd: Int32) {
    _ = close(fd)
}
