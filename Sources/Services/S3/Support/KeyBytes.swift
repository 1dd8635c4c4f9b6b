#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// S3 orders and compares keys by their exact UTF-8 bytes. Swift's `String` `==` and `<`
/// use canonical equivalence (an NFC and an NFD spelling of "é" are equal), which would merge
/// two distinct S3 keys, so every key comparison goes through these helpers.
enum KeyBytes {
    /// memcmp-style three-way comparison of two strings' UTF-8 bytes.
    @inline(__always)
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a
        var b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in compare(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) } }
    }

    @inline(__always)
    static func compare(_ a: String, _ b: [UInt8]) -> Int {
        var a = a
        return a.withUTF8 { pa in b.withUnsafeBytes { pb in compare(UnsafeRawBufferPointer(pa), pb) } }
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let r = memcmp(pa, pb, n)
            if r != 0 { return r < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && compare(a, b) == 0
    }

    /// Whether `s` starts with the bytes of `prefix`.
    static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        if prefix.isEmpty { return true }
        var s = s
        var p = prefix
        return s.withUTF8 { ps in
            p.withUTF8 { pp in
                guard ps.count >= pp.count else { return false }
                return memcmp(ps.baseAddress!, pp.baseAddress!, pp.count) == 0
            }
        }
    }

    /// The smallest byte string greater than every string that starts with `prefix`
    /// (nil when there is none: all 0xFF). Used to skip past a rolled-up common prefix.
    static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var p = prefix
        while let last = p.last {
            if last < 0xFF {
                p[p.count - 1] = last + 1
                return p
            }
            p.removeLast()
        }
        return nil
    }
}
