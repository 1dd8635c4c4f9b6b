import SimfraCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX helpers with `PersistenceError.io` errors that name the file and errno.
enum FileIO {
    static func errnoMessage(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    static func fail(_ what: String, _ path: String, _ code: Int32 = errno) -> PersistenceError {
        .io("\(what) \(path): \(errnoMessage(code))")
    }

    enum Kind { case missing, file, directory, other }

    /// `lstat`: symlinks are reported as `.other`, never followed.
    static func kind(_ path: String) -> Kind {
        var st = stat()
        if lstat(path, &st) != 0 { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func size(_ path: String) -> Int64? {
        var st = stat()
        if stat(path, &st) != 0 { return nil }
        return Int64(st.st_size)
    }

    static func mode(_ path: String) -> UInt32? {
        var st = stat()
        if stat(path, &st) != 0 { return nil }
        return UInt32(st.st_mode) & 0o7777
    }

    /// Reads a whole regular file.
    static func readAll(_ path: String) throws(PersistenceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw fail("cannot open", path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read", path)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Reads at most `count` bytes from the start of a file.
    static func readPrefix(_ path: String, count: Int) throws(PersistenceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw fail("cannot open", path) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read", path)
            }
            if n == 0 { break }
            filled += n
        }
        return Array(out[0..<filled])
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(PersistenceError) {
        guard var base = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let n = write(fd, base, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot write", path)
            }
            base += n
            remaining -= n
        }
    }

    static func fsyncFD(_ fd: Int32, path: String) throws(PersistenceError) {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw fail("cannot fsync", path)
        }
    }

    /// fsyncs a directory so that entries created, renamed or removed in it are durable.
    static func fsyncDirectory(_ path: String) throws(PersistenceError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw fail("cannot open directory", path) }
        defer { close(fd) }
        try fsyncFD(fd, path: path)
    }

    /// Creates a new file with O_CREAT|O_EXCL and `mode`, writes `bytes`, fsyncs it and its
    /// directory.
    static func createExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t, directory: String)
        throws(PersistenceError)
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw fail("cannot create", path) }
        do throws(PersistenceError) {
            try bytes.withBytes { (buffer) throws(PersistenceError) in try writeAll(fd, buffer, path: path) }
            try fsyncFD(fd, path: path)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
        try fsyncDirectory(directory)
    }

    /// `mkdir` of one directory (mode 0700). Returns true when it was created now; an existing
    /// directory is fine, anything else at that path (file, symlink) is an error.
    @discardableResult
    static func makeDirectory(_ path: String) throws(PersistenceError) -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        let code = errno
        if code == EEXIST, kind(path) == .directory { return false }
        if code == EEXIST { throw .io("\(path) exists and is not a directory") }
        throw fail("cannot create directory", path, code)
    }

    /// `mkdir -p` for an absolute path; fsyncs the parent of every directory it creates.
    static func makeDirectories(_ path: String) throws(PersistenceError) {
        if kind(path) == .directory { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            let parent = prefix.isEmpty ? "/" : prefix
            prefix += "/" + component
            if try makeDirectory(prefix) { try fsyncDirectory(parent) }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Names in a directory (without `.` and `..`); empty when it does not exist.
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` with a typed error (the stdlib one is `rethrows`, i.e. `any Error`).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(PersistenceError) -> R) throws(PersistenceError) -> R {
        let result: Result<R, PersistenceError> = withUnsafeBytes { buffer in
            do throws(PersistenceError) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
