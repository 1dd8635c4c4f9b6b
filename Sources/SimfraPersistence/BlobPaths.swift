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
        let digest = PersistenceHex.lower(SHA256Portable.hash(Array(key.utf8)))
        return "\(root)/\(bucketSegment(bucket))/\(digest.prefix(2))/\(digest)"
    }

    /// Like `relativePath(bucket:key:)` with a per-write suffix. A generation made only of
    /// `[a-z0-9]` (1–64 chars, e.g. lowercase hex) is used verbatim, anything else is hashed.
    package static func relativePath(bucket: String, key: String, generation: String) -> String {
        let base = relativePath(bucket: bucket, key: key)
        let utf8 = Array(generation.utf8)
        let plain = !utf8.isEmpty && utf8.count <= 64
            && utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        let suffix = plain ? generation : "h" + PersistenceHex.lower(SHA256Portable.hash(utf8))
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
                out.append(PersistenceHex.digits[Int(b >> 4)])
                out.append(PersistenceHex.digits[Int(b & 0xF)])
            }
        }
        if out.isEmpty { return "%" }  // never produced by a non-empty name
        if out.count > 100 { return "=" + PersistenceHex.lower(SHA256Portable.hash(bytes)) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Lowercase hex (no `String(format:)`, see STACK.md).
enum PersistenceHex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func lower(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict: only `[0-9a-fA-F]`, even length.
    static func decode(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

/// FIPS 180-4 SHA-256 in plain Swift: used only to name blob files, so the path encoding has
/// no crypto dependency. Verified against the standard vectors and swift-crypto in the tests.
enum SHA256Portable {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var data = message
        let bitLength = UInt64(message.count) &* 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }

        var w = [UInt32](repeating: 0, count: 64)
        var chunk = 0
        while chunk < data.count {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(data[j]) << 24 | UInt32(data[j + 1]) << 16 | UInt32(data[j + 2]) << 8 | UInt32(data[j + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
            h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
            chunk += 64
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in h {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
