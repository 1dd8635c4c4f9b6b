import Crypto
import SimfraCore

/// Decodes `aws-chunked` bodies incrementally: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (every
/// chunk signature checked against the chain seeded by the header signature), its
/// `-TRAILER` variant, and `STREAMING-UNSIGNED-PAYLOAD-TRAILER`; a trailing
/// `x-amz-checksum-*` is verified against the decoded data.
///
/// Fed in arbitrary slices, so the same code serves buffered bodies and streamed uploads.
package struct AWSChunkedDecoder {
    package enum Failure: Error, Sendable, Equatable {
        case malformed(String)
        case badChunkSignature
        case badChecksum(algorithm: String)
        case lengthMismatch
    }

    struct Signing {
        var key: SymmetricKey
        var amzDate: String
        var scope: String
        var previous: String
    }

    private var signing: Signing?
    private let signed: Bool
    private let expectTrailer: Bool
    private var checksum: Checksummer?
    private let checksumHeader: String?
    private var buffer: [UInt8] = []
    private var state: State = .header
    private var remaining = 0
    private var chunkSig: String?
    private var chunkHasher = SHA256()
    /// X-Amz-Decoded-Content-Length: the data may not run past it (checked as chunks
    /// arrive, so an oversized body fails before it is stored) and must reach it.
    private let expectedLength: Int?
    package private(set) var decodedLength = 0
    package private(set) var finished = false
    /// Trailing headers (`x-amz-checksum-crc32: …`), lower-cased names.
    package private(set) var trailers: [String: String] = [:]

    private enum State { case header, data, dataCRLF, trailers, done }

    /// - Parameters:
    ///   - payloadHash: the request's x-amz-content-sha256 value.
    ///   - trailerHeader: the request's `x-amz-trailer` (which checksum trails the body).
    ///   - expectedLength: the validated X-Amz-Decoded-Content-Length.
    package init(
        payloadHash: String, seedSignature: String, signingKey: SymmetricKey, amzDate: String, scope: String,
        trailerHeader: String?, expectedLength: Int? = nil
    ) {
        self.expectedLength = expectedLength
        signed = payloadHash.hasPrefix("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        expectTrailer = payloadHash.hasSuffix("-TRAILER")
        if signed {
            signing = Signing(key: signingKey, amzDate: amzDate, scope: scope, previous: seedSignature)
        }
        checksumHeader = trailerHeader?.lowercased().trimmingCharacters(in: " ").description
        if let h = checksumHeader, h.hasPrefix("x-amz-checksum-") {
            checksum = Checksummer(algorithm: String(h.dropFirst("x-amz-checksum-".count)))
        }
    }

    package static func isChunked(payloadHash: String) -> Bool { payloadHash.hasPrefix("STREAMING-") }

    /// Feeds raw bytes; appends decoded data to `out`.
    package mutating func feed(_ bytes: [UInt8], into out: inout [UInt8]) throws(Failure) {
        buffer.append(contentsOf: bytes)
        var pos = 0
        defer { buffer.removeFirst(pos) }
        while true {
            switch state {
            case .header:
                guard let eol = findCRLF(from: pos) else {
                    if buffer.count - pos > 4096 { throw .malformed("chunk header too long") }
                    return
                }
                let line = String(decoding: buffer[pos..<eol], as: UTF8.self)
                pos = eol + 2
                let parts = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
                guard let first = parts.first, let size = Self.chunkSize(first) else {
                    throw .malformed("bad chunk size line")
                }
                if let expectedLength, size > expectedLength - decodedLength { throw .lengthMismatch }
                chunkSig = nil
                if parts.count > 1 {
                    let ext = parts[1]
                    if ext.hasPrefix("chunk-signature=") { chunkSig = String(ext.dropFirst("chunk-signature=".count)) }
                }
                if signed && chunkSig == nil { throw .badChunkSignature }
                remaining = size
                chunkHasher = SHA256()
                if size == 0 {
                    try verifyChunk()
                    state = expectTrailer ? .trailers : .dataCRLF
                    if !expectTrailer { remaining = -1 }
                } else {
                    state = .data
                }
            case .data:
                let n = min(remaining, buffer.count - pos)
                if n == 0 { return }
                buffer.withUnsafeBytes { b in
                    let slice = UnsafeRawBufferPointer(rebasing: b[pos..<(pos + n)])
                    if signed { chunkHasher.update(bufferPointer: slice) }
                    checksum?.update(slice)
                    out.append(contentsOf: slice)
                }
                decodedLength += n
                pos += n
                remaining -= n
                if remaining == 0 { state = .dataCRLF }
            case .dataCRLF:
                guard buffer.count - pos >= 2 else { return }
                guard buffer[pos] == 0x0D, buffer[pos + 1] == 0x0A else { throw .malformed("missing CRLF after chunk") }
                pos += 2
                if remaining == -1 {
                    // The final zero-length chunk of a body without trailers.
                    state = .done
                    finished = true
                    continue
                }
                try verifyChunk()
                state = .header
            case .trailers:
                guard let eol = findCRLF(from: pos) else {
                    if buffer.count - pos > 8192 { throw .malformed("trailer too long") }
                    return
                }
                let line = String(decoding: buffer[pos..<eol], as: UTF8.self)
                pos = eol + 2
                if line.isEmpty {
                    try finishTrailers()
                    state = .done
                    finished = true
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else { throw .malformed("bad trailer line") }
                trailers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: " ").description
            case .done:
                // Nothing may follow the final chunk and its trailers: such bytes would be
                // silently dropped from what the signature and length promised.
                if buffer.count > pos { throw .malformed("data after the final chunk") }
                return
            }
        }
    }

    /// A chunk size: 1 to 15 hex digits (60 bits: no overflow), nothing else (no sign, no
    /// spaces); at most the largest object S3 takes, so sums cannot overflow either.
    static func chunkSize(_ s: Substring) -> Int? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 15 else { return nil }
        var v = 0
        for c in u {
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c - 0x30)
            case 0x61...0x66: d = Int(c - 0x61 + 10)
            case 0x41...0x46: d = Int(c - 0x41 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v <= BodyDecoding.maxDecodedLength ? v : nil
    }

    private func findCRLF(from: Int) -> Int? {
        var i = from
        while i + 1 < buffer.count {
            if buffer[i] == 0x0D && buffer[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private mutating func verifyChunk() throws(Failure) {
        guard var s = signing, let sig = chunkSig else { return }
        let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let sts = "AWS4-HMAC-SHA256-PAYLOAD\n\(s.amzDate)\n\(s.scope)\n\(s.previous)\n\(emptyHash)\n\(Hex.encode(digest: chunkHasher.finalize()))"
        let mac = Hex.encode(digest: HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: s.key))
        // Exactly as AWS compares: 64 lowercase hex digits, no case folding.
        guard constantTimeEquals(mac, sig) else { throw .badChunkSignature }
        s.previous = mac
        signing = s
        chunkSig = nil
    }

    private mutating func finishTrailers() throws(Failure) {
        if let h = checksumHeader, var c = checksum {
            guard let got = trailers[h] else { throw .malformed("missing trailing \(h)") }
            guard c.base64Digest() == got else { throw .badChecksum(algorithm: c.algorithm) }
            checksum = c
        }
        if let s = signing, let trailerSig = trailers["x-amz-trailer-signature"] {
            // Trailer signature: over the canonical trailer headers, chained from the last chunk.
            var canonical = ""
            for (k, v) in trailers.sorted(by: { $0.key < $1.key }) where k != "x-amz-trailer-signature" {
                canonical += "\(k):\(v)\n"
            }
            let sts = "AWS4-HMAC-SHA256-TRAILER\n\(s.amzDate)\n\(s.scope)\n\(s.previous)\n\(Hex.encode(digest: SHA256.hash(data: Array(canonical.utf8))))"
            let mac = Hex.encode(digest: HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: s.key))
            guard constantTimeEquals(mac, trailerSig) else { throw .badChunkSignature }
        }
    }

    /// The checksum of the decoded data (for a trailer that was checked, or to store).
    package var checksumValue: (algorithm: String, base64: String)? {
        guard var c = checksum else { return nil }
        return (c.algorithm, c.base64Digest())
    }
}
