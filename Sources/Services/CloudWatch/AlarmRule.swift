/// A composite alarm's rule: `ALARM("name-or-arn")`, `OK(…)`, `INSUFFICIENT_DATA(…)`, `TRUE`,
/// `FALSE`, combined with `AND`, `OR`, `NOT` and parentheses (AND binds tighter than OR).
/// Alarm references may be quoted or bare; they name an alarm or give its ARN.
indirect enum AlarmRule: Equatable {
    case state(String, alarm: String)
    case constant(Bool)
    case not(AlarmRule)
    case and(AlarmRule, AlarmRule)
    case or(AlarmRule, AlarmRule)

    struct Failure: Error { var message: String }

    static func parse(_ text: String) throws(Failure) -> AlarmRule {
        var p = Parser(chars: Array(text))
        let rule = try p.or()
        p.skip()
        guard p.i == p.chars.count else { throw Failure(message: "Unexpected text at position \(p.i + 1)") }
        return rule
    }

    /// Every alarm the rule refers to (names or ARNs, as written).
    var references: [String] {
        switch self {
        case .state(_, let a): [a]
        case .constant: []
        case .not(let r): r.references
        case .and(let a, let b), .or(let a, let b): a.references + b.references
        }
    }

    /// The rule's value given each referenced alarm's state (unknown alarms: INSUFFICIENT_DATA).
    func evaluate(_ stateOf: (String) -> String) -> Bool {
        switch self {
        case .state(let s, let a): stateOf(a) == s
        case .constant(let b): b
        case .not(let r): !r.evaluate(stateOf)
        case .and(let a, let b): a.evaluate(stateOf) && b.evaluate(stateOf)
        case .or(let a, let b): a.evaluate(stateOf) || b.evaluate(stateOf)
        }
    }

    struct Parser {
        var chars: [Character]
        var i = 0
        var depth = 0

        mutating func skip() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

        mutating func word() -> String {
            skip()
            var s = ""
            while i < chars.count, chars[i].isLetter || chars[i] == "_" { s.append(chars[i]); i += 1 }
            return s
        }

        mutating func peekWord() -> String {
            let save = i
            defer { i = save }
            return word()
        }

        mutating func or() throws(Failure) -> AlarmRule {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw Failure(message: "The rule is nested too deeply") }
            var left = try and()
            while peekWord() == "OR" {
                _ = word()
                left = .or(left, try and())
            }
            return left
        }

        mutating func and() throws(Failure) -> AlarmRule {
            var left = try unary()
            while peekWord() == "AND" {
                _ = word()
                left = .and(left, try unary())
            }
            return left
        }

        mutating func unary() throws(Failure) -> AlarmRule {
            skip()
            if i < chars.count, chars[i] == "(" {
                i += 1
                let inner = try or()
                skip()
                guard i < chars.count, chars[i] == ")" else { throw Failure(message: "Missing ')'") }
                i += 1
                return inner
            }
            let w = word()
            switch w {
            case "NOT":
                depth += 1
                defer { depth -= 1 }
                guard depth <= 64 else { throw Failure(message: "The rule is nested too deeply") }
                return .not(try unary())
            case "TRUE": return .constant(true)
            case "FALSE": return .constant(false)
            case "ALARM", "OK", "INSUFFICIENT_DATA":
                skip()
                guard i < chars.count, chars[i] == "(" else { throw Failure(message: "Expected '(' after \(w)") }
                i += 1
                skip()
                var name = ""
                if i < chars.count, chars[i] == "\"" {
                    i += 1
                    while i < chars.count, chars[i] != "\"" { name.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw Failure(message: "Unterminated alarm name") }
                    i += 1
                } else {
                    while i < chars.count, chars[i] != ")", !chars[i].isWhitespace { name.append(chars[i]); i += 1 }
                }
                skip()
                guard !name.isEmpty, i < chars.count, chars[i] == ")" else { throw Failure(message: "Expected an alarm name and ')' in \(w)()") }
                i += 1
                return .state(w, alarm: name)
            default:
                throw Failure(message: w.isEmpty ? "Expected ALARM, OK, INSUFFICIENT_DATA, NOT, TRUE, FALSE or '('" : "Unknown function \(w)")
            }
        }
    }
}
