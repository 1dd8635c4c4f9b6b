import Crypto
import SimfraCore
import SimfraPersistence

/// The at-rest format of an encrypted object body: AES-256-GCM under the object's data key,
/// in fixed-size chunks, so a range GET decrypts only the chunks it needs and a 5 GiB body
/// never sits in memory.
///
/// A body is a sequence of segments: one for a PutObject or a copy, one per part for a
/// multipart object (CompleteMultipartUpload concatenates the parts' ciphertexts without
/// decrypting them, so it needs no key: SSE-C completes without the customer's key, as in
/// AWS). A segment is an 8-byte random nonce prefix followed by its chunks, each the
/// ciphertext of up to `chunkSize` plaintext bytes and its 16-byte tag. Chunk `i`'s nonce is
/// the prefix and `i` (32-bit big endian); the last chunk of a segment authenticates a flag
/// saying so, so a body cut at a chunk boundary fails to decrypt instead of coming back short.
/// The random prefix keeps nonces unique when one data key encrypts several segments (every
/// part of an upload, a part uploaded twice). An empty segment is empty (no prefix).
enum BodyCipher {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let prefixSize = 8

    /// Bytes on disk of a segment holding `plaintext` bytes.
    static func sealedSize(_ plaintext: Int64) -> Int64 {
        guard plaintext > 0 else { return 0 }
        let chunks = (plaintext + Int64(chunkSize) - 1) / Int64(chunkSize)
        return Int64(prefixSize) + plaintext + chunks * Int64(tagSize)
    }

    static func nonce(_ prefix: [UInt8], _ index: UInt32) -> AES.GCM.Nonce {
        var n = prefix
        n.append(UInt8(truncatingIfNeeded: index >> 24))
        n.append(UInt8(truncatingIfNeeded: index >> 16))
        n.append(UInt8(truncatingIfNeeded: index >> 8))
        n.append(UInt8(truncatingIfNeeded: index))
        return try! AES.GCM.Nonce(data: n)
    }

    static let lastFlag: [UInt8] = [1]
    static let moreFlag: [UInt8] = [0]

    /// A fresh random 256-bit data key.
    static func newDataKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// Wraps a data key under a key-encrypting key (the account's SSE-S3 key, a customer's
    /// SSE-C key): nonce, ciphertext and tag in one blob.
    static func wrap(_ dataKey: [UInt8], under kek: [UInt8], aad: String) -> [UInt8] {
        let box = try! AES.GCM.seal(dataKey, using: SymmetricKey(data: kek), authenticating: Array(aad.utf8))
        return Array(box.combined!)
    }

    /// The data key a `wrap` blob holds, or nil when the key or the blob is not the one.
    static func unwrap(_ blob: [UInt8], under kek: [UInt8], aad: String) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: blob),
            let key = try? AES.GCM.open(box, using: SymmetricKey(data: kek), authenticating: Array(aad.utf8))
        else { return nil }
        return Array(key)
    }
}

/// Encrypts one segment as its plaintext streams through, writing the sealed chunks to a
/// blob. Holds at most one chunk: a full chunk is sealed only once more bytes arrive, so the
/// one sealed by `finish` is known to be the last.
struct SegmentSealer {
    private let key: SymmetricKey
    private let prefix: [UInt8]
    private var pending: [UInt8] = []
    private var index: UInt32 = 0
    private var wroteHeader = false

    init(dataKey: [UInt8]) {
        key = SymmetricKey(data: dataKey)
        prefix = (0..<BodyCipher.prefixSize).map { _ in UInt8.random(in: 0...255) }
        pending.reserveCapacity(BodyCipher.chunkSize)
    }

    mutating func write(_ buffer: UnsafeRawBufferPointer, to writer: BlobWriter) throws(PersistenceError) {
        var offset = 0
        while offset < buffer.count {
            if pending.count == BodyCipher.chunkSize { try seal(last: false, to: writer) }
            let take = min(BodyCipher.chunkSize - pending.count, buffer.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + take)]))
            offset += take
        }
    }

    mutating func write(_ bytes: [UInt8], to writer: BlobWriter) throws(PersistenceError) {
        let r: Result<Void, PersistenceError> = bytes.withUnsafeBytes { b in
            do throws(PersistenceError) { try write(b, to: writer); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Seals what is left as the segment's last chunk (nothing for an empty segment).
    mutating func finish(to writer: BlobWriter) throws(PersistenceError) {
        if !pending.isEmpty { try seal(last: true, to: writer) }
    }

    private mutating func seal(last: Bool, to writer: BlobWriter) throws(PersistenceError) {
        if !wroteHeader {
            try writer.write(prefix)
            wroteHeader = true
        }
        let box = try! AES.GCM.seal(pending, using: key, nonce: BodyCipher.nonce(prefix, index),
                                    authenticating: last ? BodyCipher.lastFlag : BodyCipher.moreFlag)
        var out = Array(box.ciphertext)
        out.append(contentsOf: box.tag)
        try writer.write(out)
        index += 1
        pending.removeAll(keepingCapacity: true)
    }
}

/// Reads a plaintext range of an encrypted body from its open file, one chunk at a time,
/// decrypting only the chunks the range touches. `segments` are the plaintext sizes of the
/// body's segments (the part sizes of a multipart object, else the object size).
final class SealedBodyReader {
    private let fd: Int32
    private let key: SymmetricKey
    /// (plaintext start, plaintext size, file offset) of each segment.
    private let layout: [(start: Int64, size: Int64, fileOffset: Int64)]
    private var position: Int64
    private let end: Int64
    private var prefixes: [Int: [UInt8]] = [:]

    init(fd: Int32, dataKey: [UInt8], segments: [Int64], start: Int64, length: Int64) {
        self.fd = fd
        key = SymmetricKey(data: dataKey)
        var l: [(Int64, Int64, Int64)] = []
        var plain: Int64 = 0
        var file: Int64 = 0
        for s in segments {
            l.append((plain, s, file))
            plain += s
            file += BodyCipher.sealedSize(s)
        }
        layout = l
        position = start
        end = start + length
    }

    /// The next decrypted piece of the range (at most one chunk), or nil at its end.
    /// A chunk that fails authentication (a damaged or substituted file) is InternalError.
    func next() throws(AWSError) -> [UInt8]? {
        guard position < end else { return nil }
        guard let si = layout.firstIndex(where: { position >= $0.start && position < $0.start + $0.size }) else {
            throw S3Errors.internalError("object body shorter than recorded")
        }
        let seg = layout[si]
        let prefix: [UInt8]
        if let p = prefixes[si] {
            prefix = p
        } else {
            prefix = try read(at: seg.fileOffset, count: BodyCipher.prefixSize)
            prefixes[si] = prefix
        }
        let within = position - seg.start
        let index = within / Int64(BodyCipher.chunkSize)
        let chunkStart = index * Int64(BodyCipher.chunkSize)
        let plainCount = Int(min(Int64(BodyCipher.chunkSize), seg.size - chunkStart))
        let fileOffset = seg.fileOffset + Int64(BodyCipher.prefixSize) + index * Int64(BodyCipher.chunkSize + BodyCipher.tagSize)
        let sealed = try read(at: fileOffset, count: plainCount + BodyCipher.tagSize)
        let last = chunkStart + Int64(plainCount) == seg.size
        let plain: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(nonce: BodyCipher.nonce(prefix, UInt32(index)), ciphertext: sealed[0..<plainCount],
                                            tag: sealed[plainCount...])
            plain = Array(try AES.GCM.open(box, using: key, authenticating: last ? BodyCipher.lastFlag : BodyCipher.moreFlag))
        } catch {
            BlobIO.logError("s3: an encrypted object body failed authentication; answering 500 InternalError")
            throw S3Errors.internalError("object body cannot be decrypted")
        }
        let from = Int(within - chunkStart)
        let to = Int(min(Int64(plainCount), end - seg.start - chunkStart))
        position = seg.start + chunkStart + Int64(to)
        return from == 0 && to == plain.count ? plain : Array(plain[from..<to])
    }

    private func read(at offset: Int64, count: Int) throws(AWSError) -> [UInt8] {
        var failure: AWSError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, n in
            do throws(AWSError) {
                n = try BlobIO.readAt(fd, into: UnsafeMutableRawBufferPointer(buffer), offset: offset)
            } catch {
                failure = error
                n = 0
            }
        }
        if let failure { throw failure }
        if bytes.count < count { throw S3Errors.internalError("object body shorter than recorded") }
        return bytes
    }
}

/// A GetObject body decrypted as it is sent (never with sendfile: the bytes on disk are not
/// the bytes the client gets).
final class DecryptingBody: ResponseBody, @unchecked Sendable {
    let length: Int
    private let reader: SealedBodyReader
    private let fd: Int32
    private var closed = false

    init(fd: Int32, dataKey: [UInt8], segments: [Int64], start: Int64, length: Int64) {
        self.fd = fd
        self.length = Int(length)
        reader = SealedBodyReader(fd: fd, dataKey: dataKey, segments: segments, start: start, length: length)
    }

    deinit { closeFile() }

    private func closeFile() {
        if !closed {
            closed = true
            BlobIO.closeFD(fd)
        }
    }

    func next() async throws -> [UInt8]? {
        guard !closed else { return nil }
        do {
            if let chunk = try reader.next() { return chunk }
        } catch {
            closeFile()
            throw error
        }
        closeFile()
        return nil
    }
}
