/// Where each statement of a policy document starts and ends (1-based line and column), as
/// Simulate* reports for matched statements. A light scan of valid JSON: strings are
/// skipped, depth is counted, and the elements of the top-level `Statement` are recorded.
enum StatementPositions {
    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    static func find(_ document: String, index: Int) -> (Position, Position)? {
        let spans = all(document)
        return index < spans.count ? spans[index] : nil
    }

    static func all(_ document: String) -> [(Position, Position)] {
        let b = Array(document.utf8)
        var i = 0
        var line = 1
        var col = 1
        var depth = 0
        var spans: [(Position, Position)] = []
        var lastKey: String?
        var inStatement = false
        var statementDepth = 0
        var start: Position?
        func advance() {
            if b[i] == UInt8(ascii: "\n") {
                line += 1
                col = 1
            } else if b[i] & 0xC0 != 0x80 {
                col += 1
            }
            i += 1
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                var s: [UInt8] = []
                advance()
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { advance() }
                    if i < b.count { s.append(b[i]); advance() }
                }
                if i < b.count { advance() }
                if depth == 1 { lastKey = String(decoding: s, as: UTF8.self) }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1, lastKey == "Statement", !inStatement {
                    inStatement = true
                    statementDepth = depth
                    if c == UInt8(ascii: "{") { start = Position(line: line, column: col) }
                } else if inStatement, depth == statementDepth + 1, c == UInt8(ascii: "{") {
                    start = Position(line: line, column: col)
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if inStatement, let s = start,
                    (depth == statementDepth + 1 && c == UInt8(ascii: "}"))
                        || (depth == statementDepth && c == UInt8(ascii: "}"))
                {
                    advance()
                    spans.append((s, Position(line: line, column: col)))
                    start = nil
                    if depth == statementDepth { inStatement = false }
                    continue
                }
                if inStatement, depth == statementDepth { inStatement = false }
            default:
                break
            }
            advance()
        }
        return spans
    }
}
