/// Errors worded and located as AWS's parser words and locates them.
extension PatternTokenizer {
    /// An error at the parser's current position, worded like AWS's.
    func fail(_ message: String) -> PatternError {
        PatternError(reason: message + "\n at " + location(pos))
    }

    func location(_ offset: Int) -> String {
        var lineStart = 0
        var line = 1
        var i = 0
        while i < offset && i < b.count {
            if b[i] == 0x0A { line += 1; lineStart = i + 1 }
            i += 1
        }
        let column = String(decoding: b[lineStart..<min(offset, b.count)], as: UTF8.self).utf16.count + 1
        return "[Source: \(sourceDescription); line: \(line), column: \(column)]"
    }

    /// Jackson quotes at most 500 characters of the source.
    var sourceDescription: String {
        if redacted { return "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)" }
        let units = Array(source.utf16)
        if units.count <= 500 { return "(String)\"\(source)\"" }
        let head = String(decoding: units[0..<500], as: UTF16.self)
        return "(String)\"\(head)\"[truncated \(units.count - 500) chars]"
    }

    static func describe(_ c: UInt8) -> String {
        if c < 0x20 { return "(CTRL-CHAR, code \(c))" }
        if c >= 0x80 { return "'\u{FFFD}' (code \(c))" }
        return "'\(Character(Unicode.Scalar(c)))' (code \(c))"
    }

    /// The character at `at` (a whole UTF-8 sequence) as Jackson describes it.
    func describeChar(at i: Int) -> String {
        let c = b[i]
        if c < 0x80 { return Self.describe(c) }
        var end = i + 1
        while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        let s = String(decoding: b[i..<end], as: UTF8.self)
        let scalar = s.unicodeScalars.first!.value
        return "'\(s)' (code \(scalar) / 0x\(String(scalar, radix: 16)))"
    }

    func charEnd(_ i: Int) -> Int {
        var end = i + 1
        while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        return end
    }

    mutating func unexpected(at i: Int, _ what: String, consume: Bool = true) -> PatternError {
        pos = consume ? charEnd(i) : i
        return fail("Unexpected character (\(describeChar(at: i))): \(what)")
    }

    /// `detail` starts with ": " or " ", as Jackson words each case.
    mutating func endOfInput(_ detail: String) -> PatternError {
        pos = b.count
        return fail("Unexpected end-of-input\(detail)")
    }
}
