import SimfraCore
import SimfraProtocols

/// A target's `InputTransformer`: `InputPathsMap` names values of the event by JSONPath,
/// `InputTemplate` places them with `<name>`. Inside a JSON string of the template a value
/// is written as text (a string unquoted, a list as `[a,b]`, an object as `{k:v}`); outside
/// one it is written as JSON. A template that is not JSON (a quoted sentence per line) is
/// filled the same way and sent as it is, as AWS does.
struct InputTransformer: Sendable {
    var paths: [String: String]
    var template: String
    var targetId: String

    /// Variables EventBridge defines itself.
    static let predefined: Set<String> = [
        "aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time", "aws.events.event",
        "aws.events.event.json",
    ]

    init(_ v: Value, targetId: String) {
        paths = v.stringMap("InputPathsMap") ?? [:]
        template = v.string("InputTemplate") ?? ""
        self.targetId = targetId
    }

    /// PutTargets' checks: at most 100 paths, valid JSONPaths, no `aws.` names of one's own, and
    /// every placeholder of the template defined.
    func validate() throws(AWSError) {
        if paths.count > 100 {
            throw EventsError.validation("InputPathsMap for target \(targetId) has more than 100 entries.")
        }
        for (name, path) in paths {
            if name.hasPrefix("aws.") {
                throw EventsError.validation("InputTransformer for target \(targetId) contains invalid key \(name).")
            }
            if JSONPathLite.parse(path) == nil {
                throw EventsError.validation("Input path \(path) for target \(targetId) is invalid.")
            }
        }
        for (name, _) in Self.placeholders(template) where paths[name] == nil && !Self.predefined.contains(name) {
            throw EventsError.validation("InputTemplate for target \(targetId) contains invalid placeholder \(name).")
        }
    }

    /// Each `<name>` of the template with its range; names are letters, digits, `_`, `-`, `.`.
    static func placeholders(_ template: String) -> [(String, Range<String.Index>)] {
        var out: [(String, Range<String.Index>)] = []
        var i = template.startIndex
        while let open = template[i...].firstIndex(of: "<") {
            var j = template.index(after: open)
            while j < template.endIndex, Self.isNameChar(template[j]) { j = template.index(after: j) }
            if j < template.endIndex, template[j] == ">", j > template.index(after: open) {
                out.append((String(template[template.index(after: open)..<j]), open..<template.index(after: j)))
                i = template.index(after: j)
            } else {
                i = template.index(after: open)
            }
        }
        return out
    }

    private static func isNameChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == ".")
    }

    /// The filled template for one event.
    func render(_ event: DeliveredEvent, ruleArn: String, ruleName: String) -> String {
        var out = ""
        var cursor = template.startIndex
        var inString = false
        for (name, range) in Self.placeholders(template) {
            inString = Self.scanQuotes(template[cursor..<range.lowerBound], startingIn: inString)
            out += template[cursor..<range.lowerBound]
            cursor = range.upperBound
            let value: Value?
            switch name {
            case "aws.events.rule-arn": value = .string(ruleArn)
            case "aws.events.rule-name": value = .string(ruleName)
            case "aws.events.event.ingestion-time": value = .string(event.time)
            case "aws.events.event.json":
                out += event.json
                continue
            case "aws.events.event":
                value = .object(["version": "0", "id": .string(event.id), "detailType": .string(event.detailType),
                                 "source": .string(event.source), "account": .string(event.account),
                                 "time": .string(event.time), "region": .string(event.region),
                                 "resources": .list(event.resources.map { .string($0) })])
            default:
                value = paths[name].flatMap { JSONPathLite.parse($0) }.flatMap { JSONPathLite.select($0, in: event.value) }
            }
            if inString {
                out += value.map(Self.text) ?? ""
            } else {
                out += value.map(Self.json) ?? "null"
            }
        }
        out += template[cursor...]
        return out
    }

    /// Whether the text ends inside a JSON string, given whether it began in one.
    private static func scanQuotes(_ s: Substring, startingIn: Bool) -> Bool {
        var inString = startingIn
        var escaped = false
        for c in s {
            if escaped { escaped = false; continue }
            if c == "\\" && inString { escaped = true; continue }
            if c == "\"" { inString.toggle() }
        }
        return inString
    }

    static func json(_ v: Value) -> String {
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(v, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// A value as text inside a JSON string, as AWS writes it there.
    static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .null: return "null"
        case .list(let l): return "[" + l.map(text).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.sorted { $0.key < $1.key }.map { "\($0.key):\(text($0.value))" }.joined(separator: ",") + "}"
        default: return json(v)
        }
    }
}

/// The JSONPath subset EventBridge takes in `InputPath` and `InputPathsMap`: `$`, then
/// `.name`, `['name']` and `[index]` steps.
enum JSONPathLite {
    enum Step: Sendable, Equatable { case key(String), index(Int) }

    static func parse(_ path: String) -> [Step]? {
        var s = Substring(path)
        guard s.first == "$" else { return nil }
        s = s.dropFirst()
        var steps: [Step] = []
        while let c = s.first {
            if c == "." {
                s = s.dropFirst()
                let name = s.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return nil }
                steps.append(.key(String(name)))
                s = s.dropFirst(name.count)
            } else if c == "[" {
                guard let close = s.firstIndex(of: "]") else { return nil }
                let inner = s[s.index(after: s.startIndex)..<close]
                if let n = Int(inner), n >= 0 {
                    steps.append(.index(n))
                } else if inner.count >= 2, inner.first == "'" || inner.first == "\"", inner.last == inner.first {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    return nil
                }
                s = s[s.index(after: close)...]
            } else {
                return nil
            }
        }
        return steps
    }

    static func select(_ steps: [Step], in v: Value) -> Value? {
        var cur = v
        for step in steps {
            switch step {
            case .key(let k):
                guard let next = cur[k] else { return nil }
                cur = next
            case .index(let i):
                guard let l = cur.listValue, i < l.count else { return nil }
                cur = l[i]
            }
        }
        return cur
    }
}
