import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `simfra backup <dir>`: a consistent snapshot of a data directory, taken while a server may
/// be writing to it.
///
/// 1. The database: `VACUUM INTO` from a read-only connection, which SQLite runs inside one
///    read transaction, so the copy is the database as of one commit. It needs no write access
///    and not the server's `simfra.lock`.
/// 2. The bodies: every file under `s3/` (except `s3/.tmp`), hard-linked when the target is on
///    the same file system, copied otherwise. Bodies are immutable and uniquely named, and a
///    body the snapshot names is removed only `BlobStore.defaultGrace` seconds after the
///    metadata dropped it, so each one is still there when this step runs right after step 1.
///    Bodies written after the snapshot are copied too; the first start of the backup sweeps
///    them as orphans.
/// 3. `.master_key` (mode 0600) and `bootstrap/`.
public enum DataDirBackup {
    public struct Summary: Sendable {
        public var bodies: Int
        public var linked: Int
        public var bytes: Int64
    }

    public static func run(dataDir rawSource: String, to rawDestination: String) throws(PersistenceError) -> Summary {
        let source = trimmed(rawSource)
        let destination = trimmed(rawDestination)
        let dbPath = "\(source)/simfra.db"
        guard FileIO.kind(dbPath) == .file, (FileIO.size(dbPath) ?? 0) > 0 else {
            throw .io("\(dbPath) does not exist or is empty: \(source) is not a Simfra data directory")
        }
        switch FileIO.kind(destination) {
        case .missing: try FileIO.makeDirectories(destination)
        case .directory:
            guard FileIO.list(destination).isEmpty else { throw .io("\(destination) is not empty; back up into a new directory") }
        case .file, .other: throw .io("\(destination) exists and is not a directory")
        }

        // 1. Database snapshot. The grace period of the bodies it names runs from here.
        let started = monotonicSeconds()
        let target = "\(destination)/simfra.db"
        let db = try SQLiteConnection(path: dbPath, flags: SQLiteConnection.readOnly)
        try db.exec("PRAGMA busy_timeout=10000")
        do throws(PersistenceError) {
            try db.run("VACUUM INTO ?1") { (s) throws(PersistenceError) in try s.bind(1, text: target) }
        } catch {
            db.close()
            throw error
        }
        db.close()
        try fsyncFile(target)

        // 2. Bodies, then 3. key and bootstrap files.
        var summary = Summary(bodies: 0, linked: 0, bytes: 0)
        try FileIO.makeDirectory("\(destination)/s3")
        try copyTree(from: "\(source)/s3", to: "\(destination)/s3", skipping: [".tmp"], link: true, started: started,
                     summary: &summary)
        try FileIO.makeDirectory("\(destination)/bootstrap")
        var ignored = Summary(bodies: 0, linked: 0, bytes: 0)
        try copyTree(from: "\(source)/bootstrap", to: "\(destination)/bootstrap", skipping: [], link: false, started: nil,
                     summary: &ignored)
        let key = "\(source)/.master_key"
        if FileIO.kind(key) == .file {
            try FileIO.copyFile(key, to: "\(destination)/.master_key", mode: 0o600, durable: true)
        }
        try FileIO.fsyncDirectory(destination)
        return summary
    }

    /// Recreates `from` under `to`: regular files linked (or copied), directories recursed,
    /// anything else skipped. A body that vanishes within the grace period after `started`
    /// was not named by the snapshot and is skipped; one that vanishes later might have been,
    /// so the backup fails rather than be silently incomplete.
    private static func copyTree(from: String, to: String, skipping: Set<String>, link: Bool, started: Double?,
                                 summary: inout Summary) throws(PersistenceError)
    {
        for name in FileIO.list(from) where !skipping.contains(name) {
            let source = "\(from)/\(name)"
            let target = "\(to)/\(name)"
            switch FileIO.kind(source) {
            case .directory:
                try FileIO.makeDirectory(target)
                try copyTree(from: source, to: target, skipping: [], link: link, started: started, summary: &summary)
            case .file:
                let size = FileIO.size(source) ?? 0
                do throws(PersistenceError) {
                    if link, posixLink(source, target) == 0 {
                        summary.linked += 1
                    } else {
                        try FileIO.copyFile(source, to: target, mode: mode_t(FileIO.mode(source) ?? 0o600), durable: true)
                    }
                } catch {
                    guard FileIO.kind(source) == .missing else { throw error }
                    if let started, monotonicSeconds() - started >= BlobStore.defaultGrace {
                        throw .io(
                            "copying the bodies took longer than their \(Int(BlobStore.defaultGrace)) s grace period, so some may be missing: back up to the same file system as \(from) (bodies are hard-linked there) or pause writes")
                    }
                    continue
                }
                summary.bodies += 1
                summary.bytes += size
            case .missing, .other:
                continue
            }
        }
        try FileIO.fsyncDirectory(to)
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func fsyncFile(_ path: String) throws(PersistenceError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileIO.fail("cannot open", path) }
        defer { close(fd) }
        try FileIO.fsyncFD(fd, path: path)
    }

    private static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

// `link` is shadowed by `copyTree`'s parameter.
private func posixLink(_ source: String, _ target: String) -> Int32 { link(source, target) }
