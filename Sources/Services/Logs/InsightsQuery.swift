import Foundation
import SimfraCore
import SimfraProtocols

/// A CloudWatch Logs Insights query, parsed into its pipeline of commands and run over the
/// events of the queried groups as a plain function (tested without a service). Supported:
/// `fields`, `display`, `filter` (comparisons, `like`/`=~` with strings or /regex/, `in`,
/// `and`/`or`/`not`, `ispresent()`), `parse` (glob with `*` or a regex with named groups),
/// `stats` (`count`, `sum`, `avg`, `min`, `max` … `by` fields and `bin(<n><s|m|h|d>)`),
/// `sort`, `limit`, `dedup`.
struct InsightsQuery: Sendable {
    struct Invalid: Error { var reason: String }

    indirect enum Expr: Sendable {
        case field(String)
        case text(String)
        case number(Double)
        case regex(String)
        case call(String, [Expr])
        case list([Expr])
        case unary(String, Expr)
        case binary(String, Expr, Expr)
    }

    struct Aggregate: Sendable {
        var function: String
        var argument: Expr?
        var alias: String
    }

    enum Command: Sendable {
        case fields([(Expr, String)])
        case display([String])
        case filter(Expr)
        case parse(String, Parser, [String])
        case stats([Aggregate], [(Expr, String)])
        case sort([(String, Bool)])
        case limit(Int)
        case dedup([String])
    }

    enum Parser: Sendable {
        case glob([String])
        case regex(String)
    }

    var commands: [Command]

    typealias Row = [String: String]

    // MARK: Running

    /// Rows in, result rows out, each as ordered (field, value) pairs.
    func run(_ input: [Row], defaultLimit: Int) -> [[(String, String)]] { runCounting(input, defaultLimit: defaultLimit).rows }

    /// The result rows and how many events matched (passed every filter before any stats).
    func runCounting(_ input: [Row], defaultLimit: Int) -> (rows: [[(String, String)]], matched: Int) {
        var matched: Int? = nil
        var rows = input.sorted { ($0["@timestamp"] ?? "") > ($1["@timestamp"] ?? "") }
        var shown: [String]? = nil
        var limit = defaultLimit
        for c in commands {
            switch c {
            case .fields(let list):
                for i in rows.indices {
                    for (e, alias) in list { rows[i][alias] = Self.eval(e, rows[i]).flatMap(Self.text) }
                }
                shown = (shown ?? []) + list.map(\.1).filter { !(shown ?? []).contains($0) }
            case .display(let names): shown = names
            case .filter(let e): rows = rows.filter { Self.truthy(Self.eval(e, $0)) }
            case .parse(let source, let parser, let names):
                for i in rows.indices {
                    guard let text = rows[i][source], let values = Self.extract(parser, text) else { continue }
                    for (n, v) in zip(names, values) { rows[i][n] = v }
                }
                if shown != nil { shown! += names.filter { !shown!.contains($0) } }
            case .stats(let aggs, let by):
                if matched == nil { matched = rows.count }
                rows = Self.stats(rows, aggs, by)
                shown = by.map(\.1) + aggs.map(\.alias)
            case .sort(let keys):
                rows.sort { a, b in
                    for (k, desc) in keys {
                        let o = Self.order(a[k], b[k])
                        if o != 0 { return desc ? o > 0 : o < 0 }
                    }
                    return false
                }
            case .limit(let n): limit = min(limit, n)
            case .dedup(let names):
                var seen = Set<[String]>()
                rows = rows.filter { r in seen.insert(names.map { n in r[n] ?? "\u{0}" }).inserted }
            }
        }
        let cols = shown ?? ["@timestamp", "@message"]
        let out = rows.prefix(limit).map { r in
            var out = cols.compactMap { c in r[c].map { (c, $0) } }
            if let p = r["@ptr"], !cols.contains("@ptr") { out.append(("@ptr", p)) }
            return out
        }
        return (out, matched ?? rows.count)
    }

    static func order(_ a: String?, _ b: String?) -> Int {
        switch (a, b) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?):
            if let dx = Double(x), let dy = Double(y) { return dx < dy ? -1 : (dx > dy ? 1 : 0) }
            return x < y ? -1 : (x > y ? 1 : 0)
        }
    }

    enum Scalar { case s(String), n(Double), b(Bool), l([Scalar]) }

    static func text(_ v: Scalar) -> String? {
        switch v {
        case .s(let s): return s
        case .n(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .b(let b): return b ? "1" : "0"
        case .l: return nil
        }
    }

    static func number(_ v: Scalar?) -> Double? {
        switch v {
        case .n(let d)?: return d
        case .s(let s)?: return Double(s)
        default: return nil
        }
    }

    static func truthy(_ v: Scalar?) -> Bool {
        switch v {
        case .b(let b)?: return b
        case .n(let d)?: return d != 0
        case .s(let s)?: return !s.isEmpty
        default: return false
        }
    }

    static func eval(_ e: Expr, _ row: Row) -> Scalar? {
        switch e {
        case .field(let f): return row[f].map { .s($0) }
        case .text(let t): return .s(t)
        case .number(let d): return .n(d)
        case .regex(let r): return .s(r)
        case .list(let l): return .l(l.compactMap { eval($0, row) })
        case .unary(let op, let x):
            if op == "not" { return .b(!truthy(eval(x, row))) }
            return number(eval(x, row)).map { .n(-$0) }
        case .call(let name, let args):
            switch name {
            case "ispresent": return .b(args.first.map { eval($0, row) != nil } ?? false)
            case "strlen": return args.first.flatMap { eval($0, row) }.flatMap(text).map { .n(Double($0.count)) }
            case "tolower": return args.first.flatMap { eval($0, row) }.flatMap(text).map { .s($0.lowercased()) }
            case "toupper": return args.first.flatMap { eval($0, row) }.flatMap(text).map { .s($0.uppercased()) }
            case "bin":
                guard let ts = row["@timestamp"].flatMap(Self.parseTime), case .text(let span)? = args.first,
                      let secs = Self.duration(span)
                else { return nil }
                return .s(Self.formatTime((ts / secs).rounded(.down) * secs))
            default: return nil
            }
        case .binary(let op, let l, let r):
            switch op {
            case "and": return .b(truthy(eval(l, row)) && truthy(eval(r, row)))
            case "or": return .b(truthy(eval(l, row)) || truthy(eval(r, row)))
            case "+", "-", "*", "/":
                guard let a = number(eval(l, row)), let b = number(eval(r, row)) else { return nil }
                switch op {
                case "+": return .n(a + b)
                case "-": return .n(a - b)
                case "*": return .n(a * b)
                default: return b == 0 ? nil : .n(a / b)
                }
            case "like", "=~":
                guard let s = eval(l, row).flatMap(text) else { return .b(false) }
                if case .regex(let pattern) = r {
                    return .b(s.range(of: pattern, options: .regularExpression) != nil)
                }
                return .b(eval(r, row).flatMap(text).map { s.contains($0) } ?? false)
            case "in":
                guard let s = eval(l, row), case .l(let items)? = eval(r, row) else { return .b(false) }
                return .b(items.contains { compare(s, $0) == 0 })
            case "not in":
                guard let s = eval(l, row), case .l(let items)? = eval(r, row) else { return .b(false) }
                return .b(!items.contains { compare(s, $0) == 0 })
            default:
                guard let a = eval(l, row), let b = eval(r, row), let o = compare(a, b) else { return .b(false) }
                switch op {
                case "=": return .b(o == 0)
                case "!=": return .b(o != 0)
                case "<": return .b(o < 0)
                case ">": return .b(o > 0)
                case "<=": return .b(o <= 0)
                case ">=": return .b(o >= 0)
                default: return nil
                }
            }
        }
    }

    static func compare(_ a: Scalar, _ b: Scalar) -> Int? {
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        guard let x = text(a), let y = text(b) else { return nil }
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    static func extract(_ p: Parser, _ text: String) -> [String]? {
        switch p {
        case .glob(let parts):
            // parts are the literal pieces between the `*`s.
            var rest = Substring(text)
            var out: [String] = []
            if let first = parts.first, !first.isEmpty {
                guard let r = rest.range(of: first) else { return nil }
                rest = rest[r.upperBound...]
            }
            for (i, lit) in parts.enumerated().dropFirst() {
                if lit.isEmpty, i == parts.count - 1 { out.append(String(rest)); rest = ""; continue }
                guard let r = rest.range(of: lit) else { return nil }
                out.append(String(rest[..<r.lowerBound]))
                rest = rest[r.upperBound...]
            }
            return out
        case .regex(let pattern):
            guard let re = try? NSRegularExpression(pattern: pattern),
                  let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
            else { return nil }
            return (1..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    static func stats(_ rows: [Row], _ aggs: [Aggregate], _ by: [(Expr, String)]) -> [Row] {
        var groups: [[String]: [Row]] = [:]
        var order: [[String]] = []
        for r in rows {
            let key = by.map { eval($0.0, r).flatMap(text) ?? "" }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        if by.isEmpty, order.isEmpty { order = [[]]; groups[[]] = [] }
        return order.map { key in
            var out: Row = [:]
            for (i, b) in by.enumerated() { out[b.1] = key[i] }
            let members = groups[key] ?? []
            for a in aggs {
                let values = members.compactMap { r in a.argument.flatMap { number(eval($0, r)) } }
                let v: Double?
                switch a.function {
                case "count":
                    if case .field(let f)? = a.argument, f != "*" { v = Double(members.filter { $0[f] != nil }.count) }
                    else { v = Double(members.count) }
                case "sum": v = values.isEmpty ? nil : values.reduce(0, +)
                case "avg": v = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
                case "min": v = values.min()
                case "max": v = values.max()
                default: v = nil
                }
                if let v { out[a.alias] = text(.n(v)) }
            }
            return out
        }
    }

    // MARK: Time

    static func duration(_ s: String) -> Double? {
        let units: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        for (u, mult) in units.sorted(by: { $0.key.count > $1.key.count }) where s.hasSuffix(u) {
            guard let n = Double(s.dropLast(u.count)), n > 0 else { return nil }
            return n * mult
        }
        return nil
    }

    /// Insights prints times as `2024-01-02 03:04:05.678` (UTC).
    static func formatTime(_ secs: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return f.string(from: Date(timeIntervalSince1970: secs))
    }

    static func parseTime(_ s: String) -> Double? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return f.date(from: s)?.timeIntervalSince1970
    }

    /// An event as Insights sees it: system fields plus the flattened fields of a JSON message.
    static func row(group: String, account: String, stream: String, event: LogEvent, ptr: String) -> Row {
        var r: Row = ["@timestamp": formatTime(Double(event.timestamp) / 1000), "@message": event.message,
                      "@logStream": stream, "@log": "\(account):\(group)", "@ingestionTime": formatTime(Double(event.ingestionTime) / 1000),
                      "@ptr": ptr]
        if event.message.first == "{", case .object(let o)? = try? JSONReader.parse(Array(event.message.utf8)) {
            flatten(o, prefix: "", into: &r)
        }
        return r
    }

    static func flatten(_ o: [String: Value], prefix: String, into r: inout Row) {
        for (k, v) in o {
            let name = prefix + k
            switch v {
            case .object(let inner): flatten(inner, prefix: name + ".", into: &r)
            case .list(let l):
                for (i, x) in l.enumerated() {
                    if case .object(let inner) = x { flatten(inner, prefix: "\(name).\(i).", into: &r) }
                    else if let t = JSONSelector.text(x) { r["\(name).\(i)"] = t }
                }
            default: if let t = JSONSelector.text(v) { r[name] = t }
            }
        }
    }
}
