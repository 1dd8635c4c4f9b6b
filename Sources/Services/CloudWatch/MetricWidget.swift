import Foundation
import SimfraCore

/// GetMetricWidgetImage's MetricWidget JSON (AWS's "Metric widget structure and syntax"): the
/// metrics arrays with the `"..."` and `"."` shorthands and an options object, widget-wide
/// `period`, `stat`, `start`/`end` (relative ISO 8601 durations such as `-PT3H`, or times),
/// `width`/`height`, `title`, `yAxis.left.min/max`, `annotations.horizontal`.
struct MetricWidget {
    struct Line {
        /// A MetricStat query or an Expression query, as GetMetricData takes it.
        var id: String
        var query: Value
        var label: String?
        var color: String?
    }

    struct Annotation { var value: Double; var label: String?; var color: String? }

    var lines: [Line] = []
    var start: Double
    var end: Double
    var width = 600
    var height = 395
    var title: String?
    var yMin: Double?
    var yMax: Double?
    var annotations: [Annotation] = []

    struct Invalid: Error { var message: String }

    init(json: String, now: Double) throws(Invalid) {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw Invalid(message: "The MetricWidget parameter is not a valid JSON object.")
        }
        let period = Self.int(doc["period"]) ?? 300
        let stat = doc["stat"] as? String ?? "Average"
        end = try Self.time(doc["end"], now: now) ?? now
        start = try Self.time(doc["start"], now: now) ?? now - 3 * 3600
        guard start < end else { throw Invalid(message: "The widget's start must be before its end.") }
        if let w = doc["width"] {
            guard let w = Self.int(w), (1...2000).contains(w) else { throw Invalid(message: "The widget's width must be from 1 to 2000.") }
            width = w
        }
        if let h = doc["height"] {
            guard let h = Self.int(h), (1...2000).contains(h) else { throw Invalid(message: "The widget's height must be from 1 to 2000.") }
            height = h
        }
        title = doc["title"] as? String
        let left = (doc["yAxis"] as? [String: Any])?["left"] as? [String: Any]
        yMin = Self.double(left?["min"])
        yMax = Self.double(left?["max"])
        for a in ((doc["annotations"] as? [String: Any])?["horizontal"] as? [Any]) ?? [] {
            guard let a = a as? [String: Any], let v = Self.double(a["value"]) else {
                throw Invalid(message: "Each horizontal annotation needs a numeric value.")
            }
            annotations.append(Annotation(value: v, label: a["label"] as? String, color: a["color"] as? String))
        }
        guard let metrics = doc["metrics"] as? [Any], !metrics.isEmpty else {
            throw Invalid(message: "The widget needs a non-empty metrics array.")
        }
        guard metrics.count <= 100 else { throw Invalid(message: "The widget can have at most 100 metrics.") }
        var previous: [String] = []
        for (i, entry) in metrics.enumerated() {
            guard let array = entry as? [Any] else { throw Invalid(message: "metrics[\(i)] must be an array.") }
            var options: [String: Any] = [:]
            var items: [String] = []
            for (j, x) in array.enumerated() {
                if let o = x as? [String: Any], j == array.count - 1 { options = o; continue }
                guard let s = x as? String else { throw Invalid(message: "metrics[\(i)][\(j)] must be a string.") }
                items.append(s)
            }
            // "..." repeats the previous metric's leading elements; "." the element at that position.
            if items.first == "..." {
                let rest = Array(items.dropFirst())
                guard previous.count >= rest.count else { throw Invalid(message: "metrics[\(i)] uses \"...\" with no metric to repeat.") }
                items = Array(previous.prefix(previous.count - rest.count)) + rest
            }
            for j in items.indices where items[j] == "." {
                guard j < previous.count else { throw Invalid(message: "metrics[\(i)][\(j)] uses \".\" with nothing to repeat.") }
                items[j] = previous[j]
            }
            let id = options["id"] as? String ?? "m\(i + 1)"
            var query: [String: Value] = ["Id": .string(id), "ReturnData": .bool(options["visible"] as? Bool ?? true)]
            if let label = options["label"] as? String { query["Label"] = .string(label) }
            if let expression = options["expression"] as? String {
                guard items.isEmpty else { throw Invalid(message: "metrics[\(i)] has both a metric and an expression.") }
                query["Expression"] = .string(expression)
                if let p = Self.int(options["period"]) { query["Period"] = .integer(Int64(p)) }
            } else {
                guard items.count >= 2, items.count % 2 == 0 else {
                    throw Invalid(message: "metrics[\(i)] must be [namespace, name, dimension name, value, …, options].")
                }
                previous = items
                var dims: [Value] = []
                for k in stride(from: 2, to: items.count, by: 2) { dims.append(["Name": .string(items[k]), "Value": .string(items[k + 1])]) }
                query["MetricStat"] = [
                    "Metric": ["Namespace": .string(items[0]), "MetricName": .string(items[1]), "Dimensions": .list(dims)],
                    "Period": .integer(Int64(Self.int(options["period"]) ?? period)), "Stat": .string(options["stat"] as? String ?? stat),
                ]
            }
            lines.append(Line(id: id, query: .object(query), label: options["label"] as? String, color: options["color"] as? String))
        }
    }

    static func int(_ x: Any?) -> Int? {
        guard let n = x as? NSNumber, let d = Optional(n.doubleValue), d == d.rounded(), abs(d) < 1e9 else { return nil }
        return Int(d)
    }

    static func double(_ x: Any?) -> Double? {
        guard let n = x as? NSNumber, !(x is Bool) else { return nil }
        return n.doubleValue.isFinite ? n.doubleValue : nil
    }

    /// `-PT3H`, `-P1D`, `P0D` (relative to now) or an ISO 8601 time.
    static func time(_ x: Any?, now: Double) throws(Invalid) -> Double? {
        guard let x else { return nil }
        guard let s = x as? String else { throw Invalid(message: "start and end must be strings.") }
        if let d = duration(s) { return now + d }
        let f = ISO8601DateFormatter()
        if let date = f.date(from: s) { return date.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = f.date(from: s) { return date.timeIntervalSince1970 }
        throw Invalid(message: "The time \(s) is neither an ISO 8601 duration nor a time.")
    }

    static func duration(_ s: String) -> Double? {
        var chars = Substring(s)
        var sign = 1.0
        if chars.first == "-" { sign = -1; chars = chars.dropFirst() } else if chars.first == "+" { chars = chars.dropFirst() }
        guard chars.first == "P" else { return nil }
        chars = chars.dropFirst()
        var total = 0.0, number = "", inTime = false, any = false
        for c in chars {
            if c == "T" { inTime = true; continue }
            if c.isNumber || c == "." { number.append(c); continue }
            guard let n = Double(number) else { return nil }
            number = ""
            any = true
            switch (c, inTime) {
            case ("W", false): total += n * 7 * 86400
            case ("D", false): total += n * 86400
            case ("H", true): total += n * 3600
            case ("M", true): total += n * 60
            case ("S", true): total += n
            default: return nil
            }
        }
        guard any, number.isEmpty, total < 1e10 else { return nil }
        return sign * total
    }
}
