import Crypto
import SimfraCore
/// Maps S3 (bucket, key) pairs to file paths under `s3/` that can never escape it.
///
/// Layout: `s3/<bucket segment>/<2 hex>/<64 hex>[-<generation>]`
/// - bucket segment: `[a-z0-9-]` and non-leading `.` pass through; every other byte is `%xx`
///   (so `.`, `..`, `.tmp`, `/`, NUL, upper case can never appear raw); names whose encoding
///   would exceed 100 bytes become `=<sha256 hex>`. The encoding is injective.
/// - file name: lowercase hex SHA-256 of the key's UTF-8 bytes (keys themselves live in SQLite
///   metadata), fanned out by its first two hex digits. Swift `String` equality is canonical
///   equivalence, but the hash is over the exact UTF-8 bytes, so NFC/NFD keys get distinct files.
/// - generation (optional): lets the S3 service write a new body beside the old one and switch
///   the metadata afterwards, so a crash between the two never pairs old metadata with a new body.
package enum S3PathEncoding {
    package static let root = "s3"

    package static func relativePath(bucket: String, key: String) -> String {
        let digest = Hex.encode(digest: SHA256.hash(data: Array(key.utf8)))
        return "\(root)/\(bucketSegment(bucket))/\(digest.prefix(2))/\(digest)"
    }

    /// Like `relativePath(bucket:key:)` with a per-write suffix. A generation made only of
    /// `[a-z0-9]` (1–64 chars, e.g. lowercase hex) is used verbatim, anything else is hashed.
    package static func relativePath(bucket: String, key: String, generation: String) -> String {
        let base = relativePath(bucket: bucket, key: key)
        let utf8 = Array(generation.utf8)
        let plain = !utf8.isEmpty && utf8.count <= 64
            && utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        let suffix = plain ? generation : "h" + Hex.encode(digest: SHA256.hash(data: utf8))
        return "\(base)-\(suffix)"
    }

    /// The directory holding every body of `bucket` (for bulk removal after DeleteBucket).
    package static func bucketDirectory(_ bucket: String) -> String {
        "\(root)/\(bucketSegment(bucket))"
    }

    static func bucketSegment(_ bucket: String) -> String {
        let bytes = Array(bucket.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (i, b) in bytes.enumerated() {
            let safe = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || (b == 0x2E && i > 0)
            if safe {
                out.append(b)
            } else {
                out.append(0x25)  // %
                out.append(Hex.digits[Int(b >> 4)])
                out.append(Hex.digits[Int(b & 0xF)])
            }
        }
        if out.isEmpty { return "%" }  // never produced by a non-empty name
        if out.count > 100 { return "=" + Hex.encode(digest: SHA256.hash(data: bytes)) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Hex {
    /// Hex of a digest through its contiguous bytes.
    static func encode<D: Digest>(digest: D) -> String {
        digest.withUnsafeBytes { Hex.encode($0) }
    }
}
