import SimfraCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Object bodies as files under `<dataDir>/s3/`, addressed by the relative paths of
/// `S3PathEncoding` (`s3/...`). Writes go to `s3/.tmp/<random>`, are fsynced, renamed into
/// place and the parent directory is fsynced, so a body is either absent or complete.
///
/// Intended protocol for S3: write the body (with a fresh `generation`), then commit the
/// metadata record naming that path, then `retire` the previous body (removed after a grace
/// period); at startup call `removeOrphans(keep:)` with every path the metadata references.
/// A body file is never rewritten in place.
package struct BlobStore: Sendable {
    package let dataDir: String
    /// Whether bodies and directory entries are fsynced. Off only for the private temp
    /// directory of memory-only mode, where nothing has to survive a crash.
    package let durable: Bool

    /// Where replaced and deleted bodies wait out their grace period (durable stores only).
    package let reaper: BodyReaper?

    /// Seconds a replaced or deleted body stays on disk (see `BodyReaper`): a live copy of the
    /// data directory must copy `s3/` within this long after copying `simfra.db-wal`.
    package static let defaultGrace: Double = 60

    package init(dataDir: String, durable: Bool = true, grace: Double = BlobStore.defaultGrace) {
        self.dataDir = dataDir
        self.durable = durable
        self.reaper = durable && grace > 0 ? BodyReaper(dataDir: dataDir, grace: grace) : nil
    }

    var rootPath: String { "\(dataDir)/\(S3PathEncoding.root)" }
    var tmpPath: String { "\(rootPath)/.tmp" }

    /// Absolute path of a relative blob path (validated).
    package func absolutePath(_ relativePath: String) throws(PersistenceError) -> String {
        try Self.validate(relativePath)
        return "\(dataDir)/\(relativePath)"
    }

    /// Rejects anything `S3PathEncoding` would never produce: absolute paths, `.`/`..`/empty
    /// segments, NUL, paths outside `s3/`, and `s3/.tmp`. One pass over the bytes: it runs on
    /// every body written, read and removed.
    static func validate(_ relativePath: String) throws(PersistenceError) {
        var ok = true
        var segments = 0
        var segmentLength = 0
        var dots = 0  // leading dots of the current segment
        var firstByteOfSecond: UInt8 = 0
        var prefixOK = false
        var index = 0
        for byte in relativePath.utf8 {
            if index < 3 { prefixOK = index == 0 ? byte == 0x73 : index == 1 ? (prefixOK && byte == 0x33) : (prefixOK && byte == 0x2F) }
            index += 1
            if byte == 0 { ok = false; break }
            if byte == 0x2F {
                if segmentLength == 0 || (segmentLength <= 2 && dots == segmentLength) { ok = false; break }
                segments += 1
                segmentLength = 0
                dots = 0
                continue
            }
            if segments == 1 && segmentLength == 0 { firstByteOfSecond = byte }
            if byte == 0x2E && dots == segmentLength { dots += 1 }
            segmentLength += 1
        }
        if segmentLength == 0 || (segmentLength <= 2 && dots == segmentLength) { ok = false }
        segments += 1
        guard ok, prefixOK, segments >= 2, firstByteOfSecond != 0x2E else {
            throw .io("refusing unsafe blob path \(relativePath.debugDescription)")
        }
    }

    /// Writes `bytes` atomically to `relativePath` (replacing any existing file).
    package func write(_ bytes: [UInt8], to relativePath: String) throws(PersistenceError) {
        let writer = try makeWriter()
        try bytes.withBytes { (buffer) throws(PersistenceError) in try writer.write(buffer) }
        try writer.commit(to: relativePath)
    }

    /// A streaming writer for large bodies; call `commit(to:)` or `abort()`.
    ///
    /// - Parameter destination: the fresh path the body will be committed to, when known.
    ///   Without durability (memory-only mode) the body is then written in place: the path is
    ///   new (a new generation) and nothing names it until the metadata commits, so the temp
    ///   file and rename buy nothing there.
    package func makeWriter(destination: String? = nil) throws(PersistenceError) -> BlobWriter {
        if !durable, let destination {
            let path = try absolutePath(destination)
            return BlobWriter(store: self, fd: try Self.createFile(path), tmpPath: path, inPlace: destination)
        }
        let path = "\(tmpPath)/\(Self.tempNamePrefix)\(String(Self.tempCounter.add(1, ordering: .relaxed).newValue, radix: 36))"
        return BlobWriter(store: self, fd: try Self.createFile(path), tmpPath: path, inPlace: nil)
    }

    /// Temp names: unique by a counter within the process, by a random prefix across processes
    /// (no random bytes drawn per write).
    private static let tempNamePrefix = Hex.random(bytes: 8) + "-"
    private static let tempCounter = Atomic<UInt64>(0)

    /// Creates a new file, making its parent directories only when the first attempt says
    /// they are missing (a `stat` per write cost more than the rare retry).
    static func createFile(_ path: String) throws(PersistenceError) -> Int32 {
        var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 && errno == ENOENT {
            try FileIO.makeDirectories(FileIO.parent(of: path))
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        if fd < 0 { throw FileIO.fail("cannot create", path) }
        return fd
    }

    package func read(_ relativePath: String) throws(PersistenceError) -> [UInt8] {
        try FileIO.readAll(absolutePath(relativePath))
    }

    package func exists(_ relativePath: String) -> Bool {
        guard let path = try? absolutePath(relativePath) else { return false }
        return FileIO.kind(path) == .file
    }

    /// Removes a body; a missing file is not an error. The directory is not fsynced: a removal
    /// lost to a power cut is an orphan that `removeOrphans` collects.
    package func remove(_ relativePath: String) throws(PersistenceError) {
        let path = try absolutePath(relativePath)
        if unlink(path) != 0 && errno != ENOENT { throw FileIO.fail("cannot remove", path) }
    }

    /// Removes bodies that metadata no longer names: after the grace period in a durable
    /// store (so a live copy of the directory still finds them), at once otherwise.
    package func retire(_ relativePaths: [String]) {
        var valid: [String] = []
        valid.reserveCapacity(relativePaths.count)
        for p in relativePaths where (try? Self.validate(p)) != nil { valid.append(p) }
        if let reaper {
            reaper.retire(valid)
        } else {
            for p in valid { unlink("\(dataDir)/\(p)") }
        }
    }

    /// Deletes every file under `s3/` whose relative path is not in `keep`, every file in
    /// `s3/.tmp`, and directories left empty. Returns the number of files removed. Call at
    /// startup, before serving requests (a concurrent writer's temp file would be deleted).
    @discardableResult
    package func removeOrphans(keep: Set<String>) throws(PersistenceError) -> Int {
        var removed = 0
        let root = rootPath
        guard FileIO.kind(root) == .directory else { return 0 }
        for name in FileIO.list(tmpPath) {
            if unlink("\(tmpPath)/\(name)") == 0 { removed += 1 }
        }
        for bucket in FileIO.list(root) where bucket != ".tmp" {
            removed += try sweep(relative: "\(S3PathEncoding.root)/\(bucket)", keep: keep)
        }
        try FileIO.fsyncDirectory(root)
        return removed
    }

    /// Recursive sweep; directories are descended without following symlinks.
    private func sweep(relative: String, keep: Set<String>) throws(PersistenceError) -> Int {
        let absolute = "\(dataDir)/\(relative)"
        switch FileIO.kind(absolute) {
        case .missing:
            return 0
        case .file, .other:
            if keep.contains(relative) { return 0 }
            if unlink(absolute) != 0 && errno != ENOENT { throw FileIO.fail("cannot remove", absolute) }
            return 1
        case .directory:
            var removed = 0
            for name in FileIO.list(absolute) {
                removed += try sweep(relative: "\(relative)/\(name)", keep: keep)
            }
            if FileIO.list(absolute).isEmpty { rmdir(absolute) }
            return removed
        }
    }
}

/// Streams one body into `s3/.tmp`, then renames it into place (or, in memory-only mode,
/// straight into its final path). Used by one task at a time, which may hand it to a
/// blocking thread for the commit's fsyncs: hence `@unchecked Sendable`.
package final class BlobWriter: @unchecked Sendable {
    private let store: BlobStore
    private var fd: Int32
    private let tmpPath: String
    /// The relative path being written in place, if any.
    private let inPlace: String?
    package private(set) var bytesWritten: Int64 = 0
    private var finished = false

    init(store: BlobStore, fd: Int32, tmpPath: String, inPlace: String?) {
        self.store = store
        self.fd = fd
        self.tmpPath = tmpPath
        self.inPlace = inPlace
    }

    deinit { abort() }

    package func write(_ buffer: UnsafeRawBufferPointer) throws(PersistenceError) {
        guard fd >= 0 else { throw .io("write to a finished blob writer") }
        try FileIO.writeAll(fd, buffer, path: tmpPath)
        bytesWritten += Int64(buffer.count)
    }

    package func write(_ bytes: [UInt8]) throws(PersistenceError) {
        try bytes.withBytes { (buffer) throws(PersistenceError) in try write(buffer) }
    }

    /// fsync, rename to `relativePath` (creating its directories), fsync the parent directory.
    package func commit(to relativePath: String) throws(PersistenceError) {
        guard fd >= 0 else { throw .io("commit of a finished blob writer") }
        do throws(PersistenceError) {
            if relativePath == inPlace {
                close(fd)
                fd = -1
                finished = true
                return
            }
            let destination = try store.absolutePath(relativePath)
            if store.durable { try FileIO.fsyncFD(fd, path: tmpPath) }
            close(fd)
            fd = -1
            let parent = FileIO.parent(of: destination)
            if rename(tmpPath, destination) != 0 {
                guard errno == ENOENT else { throw FileIO.fail("cannot rename into", destination) }
                try FileIO.makeDirectories(parent)
                if rename(tmpPath, destination) != 0 { throw FileIO.fail("cannot rename into", destination) }
            }
            finished = true
            if store.durable { try FileIO.fsyncDirectory(parent) }
        } catch {
            abort()
            throw error
        }
    }

    /// Discards the temporary file. Idempotent; a no-op after a successful commit.
    package func abort() {
        guard !finished else { return }
        finished = true
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(tmpPath)
    }
}
