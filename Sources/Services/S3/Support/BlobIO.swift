#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SimfraCore
import SimfraPersistence

/// Reading bodies back out of the blob store in bounded chunks, and the private temporary
/// store used when Simfra runs without a data dir (bodies are never held in memory).
enum BlobIO {
    /// Largest chunk read from or written to a body file at once.
    static let chunkSize = 512 * 1024

    /// Opens a body file for reading. Called under the service lock, so a concurrent
    /// overwrite cannot unlink the file between lookup and open; the descriptor keeps the
    /// body readable even after it is replaced.
    ///
    /// Every path reaching here was made by `S3PathEncoding` (or checked by `BlobStore` at
    /// restore), so it is joined directly: `absolutePath`'s validation splits the path and
    /// cost 2% of a small GET.
    static func openBody(_ blobs: BlobStore, _ relativePath: String) throws(AWSError) -> Int32 {
        let path = blobs.dataDir + "/" + relativePath
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            // Metadata names a body the disk does not have (deleted by hand, a damaged copy
            // of the data dir): the request gets InternalError; the operator gets the path.
            let reason = String(cString: strerror(errno))
            logError("s3: object body \(path) cannot be opened (\(reason)); answering 500 InternalError")
            throw S3Errors.internalError("object body missing")
        }
        return fd
    }

    /// One line on stderr (the server's log), unbuffered.
    static func logError(_ line: String) {
        FileHandle.standardError.write(Data("simfra: \(line)\n".utf8))
    }

    /// Reads up to `count` bytes at `offset` (short only at end of file).
    static func readAt(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64) throws(AWSError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            if n < 0 {
                if errno == EINTR { continue }
                throw S3Errors.internalError("cannot read object body")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Streams `length` bytes at `offset` of an open body into `writer`, feeding `digest`.
    static func copy(fd: Int32, offset: Int64, length: Int64, to writer: BlobWriter, digest: inout BodyDigest) throws(AWSError) {
        var remaining = length
        var position = offset
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while remaining > 0 {
            let want = Int(min(Int64(chunkSize), remaining))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
            let n = try readAt(fd, into: slice, offset: position)
            if n == 0 { throw S3Errors.internalError("object body shorter than recorded") }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            digest.update(chunk)
            do { try writer.write(chunk) } catch { throw S3Errors.internalError("cannot write object body: \(error)") }
            remaining -= Int64(n)
            position += Int64(n)
        }
    }

    // MARK: - Memory-only mode

    private static let tempPrefix = "simfra-s3-"

    /// A private directory for bodies when there is no data dir: `$TMPDIR/simfra-s3-<pid>`.
    /// Directories left by processes that no longer exist are removed first.
    static func makeTemporaryDirectory() throws -> String {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        let fm = FileManager.default
        if let names = try? fm.contentsOfDirectory(atPath: base) {
            for name in names where name.hasPrefix(tempPrefix) {
                guard let pid = Int32(name.dropFirst(tempPrefix.count)) else { continue }
                if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                    try? fm.removeItem(atPath: base + "/" + name)
                }
            }
        }
        let dir = base + "/" + tempPrefix + String(getpid())
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A GetObject body streamed from an open file: at most `BlobIO.chunkSize` bytes in memory,
/// or handed whole to the server, which sends large ones with sendfile.
final class FileBody: FileResponseBody, @unchecked Sendable {
    let length: Int
    private let fd: Int32
    private var offset: Int64
    private var remaining: Int64
    private var closed = false
    private var started = false

    init(fd: Int32, offset: Int64, length: Int64) {
        self.fd = fd
        self.offset = offset
        self.remaining = length
        self.length = Int(length)
    }

    deinit { closeFile() }

    private func closeFile() {
        if !closed {
            closed = true
            _ = close(fd)
        }
    }

    func takeFile() -> (fd: Int32, offset: Int64)? {
        guard !started, !closed else { return nil }
        closed = true  // the caller owns the descriptor now
        return (fd, offset)
    }

    func next() async throws -> [UInt8]? {
        started = true
        guard remaining > 0, !closed else {
            closeFile()
            return nil
        }
        let want = Int(min(Int64(BlobIO.chunkSize), remaining))
        var failure: AWSError?
        let chunk = [UInt8](unsafeUninitializedCapacity: want) { buffer, count in
            do throws(AWSError) {
                count = try BlobIO.readAt(fd, into: UnsafeMutableRawBufferPointer(buffer), offset: offset)
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { closeFile(); throw failure }
        if chunk.isEmpty {
            // The file is shorter than its metadata says: end early (the server notices).
            closeFile()
            return nil
        }
        offset += Int64(chunk.count)
        remaining -= Int64(chunk.count)
        if remaining == 0 { closeFile() }
        return chunk
    }
}

/// A GetObject body held in memory (`ObjectVersion.inlineBody`), sent in one piece.
final class InlineBody: ResponseBody, @unchecked Sendable {
    let length: Int
    private var bytes: ArraySlice<UInt8>?

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        length = bytes.count
    }

    func next() async throws -> [UInt8]? {
        defer { bytes = nil }
        return bytes.map(Array.init)
    }
}

extension BlobIO {
    static func closeFD(_ fd: Int32) { _ = close(fd) }

    /// Runs blocking file work (fsyncs) on a Dispatch worker thread, so the event-loop thread
    /// that runs the request's task keeps serving other connections meanwhile.
    static func offload(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try work()
                    c.resume()
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
    }
}
