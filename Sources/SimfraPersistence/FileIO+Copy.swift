import SimfraCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies, hard links and private temp directories: the startup inspection snapshot and
/// `simfra backup`.
extension FileIO {
    /// Copies a regular file's bytes to a new file `destination` (mode `mode`), fsyncing it
    /// when `durable`. The source is only read.
    static func copyFile(_ source: String, to destination: String, mode: mode_t = 0o600, durable: Bool)
        throws(PersistenceError)
    {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw fail("cannot open", source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if output < 0 { throw fail("cannot create", destination) }
        do throws(PersistenceError) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = read(input, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw fail("cannot read", source)
                }
                if n == 0 { break }
                try writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: destination)
            }
            if durable { try fsyncFD(output, path: destination) }
        } catch {
            close(output)
            unlink(destination)
            throw error
        }
        close(output)
    }

    /// Hard-links `source` as `destination`, or copies it when linking is impossible (another
    /// file system, a file system without links). A link shares the inode: only use it for
    /// files nobody rewrites in place (S3 bodies) or opens for writing (a read-only snapshot).
    static func linkOrCopy(_ source: String, to destination: String, durable: Bool) throws(PersistenceError) {
        if link(source, destination) == 0 { return }
        switch errno {
        case EXDEV, EPERM, EMLINK, ENOTSUP, EOPNOTSUPP:
            try copyFile(source, to: destination, mode: mode_t(mode(source) ?? 0o600), durable: durable)
        default:
            throw fail("cannot link \(source) as", destination)
        }
    }

    /// A new private (0700) directory under `$TMPDIR` (or `/tmp`).
    static func makeTemporaryDirectory(prefix: String) throws(PersistenceError) -> String {
        var base = "/tmp"
        if let t = getenv("TMPDIR") {
            let s = String(cString: t)
            if !s.isEmpty { base = s }
        }
        var template = Array("\(base)/\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw fail("cannot create a temporary directory in", base) }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `rm -r` without following symlinks (errors ignored: used for private temp dirs).
    static func removeTree(_ path: String) {
        if kind(path) == .directory {
            for name in list(path) { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Whether the tree under `path` holds any file (not a directory), apart from the
    /// top-level names in `ignoring`. Stops at the first one.
    static func containsFile(_ path: String, ignoring: Set<String> = []) -> Bool {
        for name in list(path) where !ignoring.contains(name) {
            let child = "\(path)/\(name)"
            switch kind(child) {
            case .missing: continue
            case .directory: if containsFile(child) { return true }
            case .file, .other: return true
            }
        }
        return false
    }
}
