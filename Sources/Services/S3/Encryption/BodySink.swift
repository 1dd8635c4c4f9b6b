import SimfraCore
import SimfraPersistence

/// Where a new body's plaintext goes: a blob, through a `SegmentSealer` when the body is
/// encrypted. `finish` must run before the writer is committed.
struct BodySink {
    let writer: BlobWriter
    private var sealer: SegmentSealer?

    init(writer: BlobWriter, sealKey: [UInt8]?) {
        self.writer = writer
        sealer = sealKey.map { SegmentSealer(dataKey: $0) }
    }

    mutating func write(_ buffer: UnsafeRawBufferPointer) throws(PersistenceError) {
        if sealer != nil {
            try sealer!.write(buffer, to: writer)
        } else {
            try writer.write(buffer)
        }
    }

    mutating func write(_ bytes: [UInt8]) throws(PersistenceError) {
        let r: Result<Void, PersistenceError> = bytes.withUnsafeBytes { b in
            do throws(PersistenceError) { try write(b); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    mutating func finish() throws(PersistenceError) {
        try sealer?.finish(to: writer)
    }
}

/// A plaintext range of a stored body, read in bounded pieces: from a plain file, through
/// `SealedBodyReader` for an encrypted one, or from an in-memory body.
final class PlainSource {
    private enum Kind {
        case file(fd: Int32, position: Int64, remaining: Int64)
        case sealed(SealedBodyReader)
        case memory([UInt8]?)
    }

    private var kind: Kind

    /// `dataKey` nil: the file holds plaintext. `segments`: see `SealedBodyReader`.
    init(fd: Int32, dataKey: [UInt8]?, segments: [Int64], start: Int64, length: Int64) {
        if let dataKey {
            kind = .sealed(SealedBodyReader(fd: fd, dataKey: dataKey, segments: segments, start: start, length: length))
        } else {
            kind = .file(fd: fd, position: start, remaining: length)
        }
    }

    init(memory: [UInt8]) { kind = .memory(memory) }

    func next() throws(AWSError) -> [UInt8]? {
        switch kind {
        case .sealed(let r): return try r.next()
        case .memory(let bytes):
            kind = .memory(nil)
            return bytes.flatMap { $0.isEmpty ? nil : $0 }
        case .file(let fd, let position, let remaining):
            guard remaining > 0 else { return nil }
            let want = Int(min(Int64(BlobIO.chunkSize), remaining))
            var failure: AWSError?
            let chunk = [UInt8](unsafeUninitializedCapacity: want) { buffer, count in
                do throws(AWSError) {
                    count = try BlobIO.readAt(fd, into: UnsafeMutableRawBufferPointer(buffer), offset: position)
                } catch {
                    failure = error
                    count = 0
                }
            }
            if let failure { throw failure }
            if chunk.isEmpty { throw S3Errors.internalError("object body shorter than recorded") }
            kind = .file(fd: fd, position: position + Int64(chunk.count), remaining: remaining - Int64(chunk.count))
            return chunk
        }
    }
}

extension ObjectVersion {
    /// The plaintext sizes of the body's segments (`BodyCipher`): one per part of a multipart
    /// object, else one.
    var segments: [Int64] { partSizes.isEmpty ? [size] : partSizes }

    /// Whether the body file holds ciphertext.
    var bodyIsSealed: Bool { blobPath != nil && dataKey != nil }
}
