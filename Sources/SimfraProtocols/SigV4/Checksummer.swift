import Crypto
import SimfraCore

/// The flexible checksums S3 accepts (`x-amz-checksum-<algorithm>`), computed incrementally.
package struct Checksummer {
    package let algorithm: String
    private var kind: Kind

    private enum Kind {
        case crc32(CRC32)
        case crc32c(CRC32C)
        case crc64nvme(CRC64NVME)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }

    package init?(algorithm: String) {
        self.algorithm = algorithm.lowercased()
        switch self.algorithm {
        case "crc32": kind = .crc32(CRC32())
        case "crc32c": kind = .crc32c(CRC32C())
        case "crc64nvme": kind = .crc64nvme(CRC64NVME())
        case "sha1": kind = .sha1(Insecure.SHA1())
        case "sha256": kind = .sha256(SHA256())
        default: return nil
        }
    }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch kind {
        case .crc32(var c): c.update(bytes); kind = .crc32(c)
        case .crc32c(var c): c.update(bytes); kind = .crc32c(c)
        case .crc64nvme(var c): c.update(bytes); kind = .crc64nvme(c)
        case .sha1(var h): h.update(bufferPointer: bytes); kind = .sha1(h)
        case .sha256(var h): h.update(bufferPointer: bytes); kind = .sha256(h)
        }
    }

    /// Base64 of the digest (big-endian for CRCs), as the `x-amz-checksum-*` headers carry it.
    package mutating func base64Digest() -> String {
        switch kind {
        case .crc32(let c): return Base64.encode(c.bigEndianBytes)
        case .crc32c(let c): return Base64.encode(c.bigEndianBytes)
        case .crc64nvme(let c): return Base64.encode(c.bigEndianBytes)
        case .sha1(let h): return Base64.encode(Array(h.finalize()))
        case .sha256(let h): return Base64.encode(Array(h.finalize()))
        }
    }
}
