import Crypto
import SimfraCore
import SimfraProtocols
import Synchronization

/// The S3 flexible-checksum algorithms by their API names.
enum ChecksumAlgorithms {
    static let all = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]

    /// `ChecksumCRC32` etc. for every supported algorithm.
    static let members = all.map { "Checksum" + $0 }

    static func normalized(_ s: String?) -> String? {
        guard let s else { return nil }
        let u = s.uppercased()
        return all.contains(u) ? u : nil
    }

    /// Algorithms whose multipart checksum may be FULL_OBJECT (CRCs combine).
    static func supportsFullObject(_ a: String) -> Bool { a.hasPrefix("CRC") }

    static func defaultType(_ a: String) -> String { a == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE" }

    /// Raw digest length in bytes (for validating a supplied value).
    static func digestLength(_ a: String) -> Int {
        switch a {
        case "CRC32", "CRC32C": return 4
        case "CRC64NVME": return 8
        case "SHA1": return 20
        default: return 32
        }
    }
}

/// MD5 (for the ETag) and one flexible checksum, fed as a body streams past.
struct BodyDigest {
    private var md5: Insecure.MD5? = Insecure.MD5()
    private var checksummer: Checksummer?
    let algorithm: String?
    private(set) var size: Int64 = 0

    /// `md5: false` computes the checksum only (its `finish` md5 is then empty).
    init(algorithm: String?, md5: Bool = true) {
        self.algorithm = algorithm
        checksummer = algorithm.flatMap { Checksummer(algorithm: $0) }
        if !md5 { self.md5 = nil }
    }

    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        md5?.update(bufferPointer: buffer)
        checksummer?.update(buffer)
        size += Int64(buffer.count)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// (raw MD5, base64 checksum of `algorithm` or nil). Consumes the state.
    mutating func finish() -> (md5: [UInt8], checksum: String?) {
        let m = md5.map { Array($0.finalize()) } ?? []
        let c = checksummer.map { var s = $0; return s.base64Digest() }
        return (m, c)
    }
}

enum Digests {
    static func md5(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

    static func sha256Hex(_ s: String) -> String { Hex.encode(digest: SHA256.hash(data: Array(s.utf8))) }

    static func quotedETag(_ md5: [UInt8]) -> String { "\"" + Hex.encode(md5) + "\"" }

    /// `"<hex md5 of the concatenated part MD5s>-<N>"`.
    static func multipartETag(_ partETags: [String]) -> String {
        var md5 = Insecure.MD5()
        for e in partETags {
            if let raw = Hex.decode(Conditions.unquote(e)) { md5.update(data: raw) }
        }
        return "\"" + Hex.encode(digest: md5.finalize()) + "-\(partETags.count)\""
    }

    /// The checksum of a multipart object from its parts' checksums: COMPOSITE is the
    /// algorithm over the concatenated raw part digests plus `-N`; FULL_OBJECT (CRCs only)
    /// combines the part CRCs into the CRC of the whole body.
    static func multipartChecksum(algorithm: String, type: String, parts: [(checksum: String, size: Int64)]) -> String? {
        if type == "FULL_OBJECT" {
            var decoded: [(UInt64, Int64)] = []
            for p in parts {
                guard let raw = Base64.decode(p.checksum) else { return nil }
                var v: UInt64 = 0
                for b in raw { v = v << 8 | UInt64(b) }
                decoded.append((v, p.size))
            }
            guard var acc = decoded.first?.0 else { return nil }
            for (v, size) in decoded.dropFirst() {
                switch algorithm {
                case "CRC32": acc = UInt64(CRC32.combine(UInt32(acc), UInt32(v), lengthB: UInt64(size)))
                case "CRC32C": acc = UInt64(CRC32C.combine(UInt32(acc), UInt32(v), lengthB: UInt64(size)))
                case "CRC64NVME": acc = CRC64NVME.combine(acc, v, lengthB: UInt64(size))
                default: return nil
                }
            }
            let bytes = algorithm == "CRC64NVME" ? CRCBytes.bigEndian(acc) : CRCBytes.bigEndian(UInt32(truncatingIfNeeded: acc))
            return Base64.encode(bytes)
        }
        guard var c = Checksummer(algorithm: algorithm) else { return nil }
        for p in parts {
            guard let raw = Base64.decode(p.checksum) else { return nil }
            raw.withUnsafeBytes { c.update($0) }
        }
        return c.base64Digest() + "-\(parts.count)"
    }

    static func randomHex(_ bytes: Int) -> String { Hex.random(bytes: bytes) }

    /// 64 URL-safe characters: six random bits each.
    private static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._".utf8)

    /// Random URL-safe identifier (version ids, upload ids).
    static func randomID(_ length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(length)
        while out.count < length {
            var w = rng.next()
            for _ in 0..<10 where out.count < length {
                out.append(idAlphabet[Int(w & 63)])
                w >>= 6
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let generationPrefix = randomHex(6)
    private static let generationCounter = Atomic<UInt64>(0)

    /// A fresh body-file generation: unique within the process by a counter, across processes
    /// by a random prefix (no syscall per write).
    static func nextGeneration() -> String {
        let n = generationCounter.add(1, ordering: .relaxed).newValue
        return generationPrefix + String(n, radix: 36)
    }
}
