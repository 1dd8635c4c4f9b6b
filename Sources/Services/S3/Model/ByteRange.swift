/// The `Range: bytes=…` header S3 honours: one range, first-last, first- or -suffix.
/// Anything S3 would ignore (bad syntax, several ranges) parses to `.ignore` and the whole
/// object is returned.
enum ByteRange: Equatable {
    case ignore
    /// Inclusive offsets within the object.
    case satisfiable(start: Int64, end: Int64)
    case unsatisfiable

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .ignore }
        let h = header.trimmingCharacters(in: " ")
        guard h.hasPrefix("bytes=") else { return .ignore }
        let spec = h.dropFirst(6)
        if spec.contains(",") { return .ignore }
        guard let dash = spec.firstIndex(of: "-") else { return .ignore }
        let first = spec[..<dash].trimmingCharacters(in: " ")
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: " ")
        if first.isEmpty {
            // Suffix: the last N bytes.
            guard let n = Int64(last), !last.isEmpty, last.allSatisfy(\.isNumber) else { return .ignore }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .satisfiable(start: max(0, size - n), end: size - 1)
        }
        guard let s = Int64(first), first.allSatisfy(\.isNumber) else { return .ignore }
        var e: Int64
        if last.isEmpty {
            e = size - 1
        } else {
            guard let v = Int64(last), last.allSatisfy(\.isNumber) else { return .ignore }
            if v < s { return .ignore }
            e = v
        }
        if s >= size { return .unsatisfiable }
        e = min(e, size - 1)
        return .satisfiable(start: s, end: e)
    }

    /// `x-amz-copy-source-range: bytes=first-last` (both required, within the source).
    static func parseCopyRange(_ header: String, size: Int64) -> (valid: Bool, start: Int64, end: Int64, inBounds: Bool) {
        let h = header.trimmingCharacters(in: " ")
        guard h.hasPrefix("bytes=") else { return (false, 0, 0, false) }
        let spec = h.dropFirst(6)
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = Int64(parts[0]), let e = Int64(parts[1]), s >= 0, e >= s else {
            return (false, 0, 0, false)
        }
        return (true, s, e, e < size)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
