import Foundation

/// Evaluation of metric math: operators on scalars, series (timestamp → value) and arrays of
/// series, and AWS's functions. Series with series combine on the timestamps both have; an
/// array applies element-wise to each of its series; SUM/AVG/MIN/MAX/STDDEV of an array are
/// per timestamp, of one series a scalar.
extension MetricMath {
    struct Context {
        /// Results of the other queries, by id, with their labels (for METRICS("label")).
        var series: [String: [Double: Double]]
        var labels: [String: String]
        /// The ids of MetricStat queries, in request order (METRICS() is all of them).
        var order: [String]
        /// Every period start in the requested range, for FILL and TIME_SERIES.
        var grid: [Double]
        /// The period of the query's data, for PERIOD().
        var period: Int = 60
        /// SEARCH(query, statistic, period?) over the metric store (nil where SEARCH is refused).
        var search: ((String, String, Int?) throws(Failure) -> [Labeled])?
        /// ANOMALY_DETECTION_BAND(id, k): the band of a query's series, as (lower, upper) series.
        var band: ((String, Double) throws(Failure) -> [Labeled])?
    }

    static func evaluate(_ node: Node, _ ctx: Context) throws(Failure) -> Result {
        switch node {
        case .number(let d): return .scalar(d)
        case .string: throw Failure(message: "A string is only allowed as an argument of METRICS or SEARCH")
        case .ref(let id):
            guard let s = ctx.series[id] else { throw Failure(message: "Unrecognized metric id or function: \(id)") }
            return .series(s)
        case .negate(let n): return try map(evaluate(n, ctx)) { -$0 }
        case .not(let n): return try map(evaluate(n, ctx)) { $0 == 0 ? 1 : 0 }
        case .binary(let op, let l, let r):
            let f: (Double, Double) -> Double
            switch op {
            case "+": f = (+)
            case "-": f = (-)
            case "*": f = (*)
            case "/": f = (/)
            case "^": f = { Foundation.pow($0, $1) }
            case "==": f = { $0 == $1 ? 1 : 0 }
            case "!=": f = { $0 != $1 ? 1 : 0 }
            case "<": f = { $0 < $1 ? 1 : 0 }
            case "<=": f = { $0 <= $1 ? 1 : 0 }
            case ">": f = { $0 > $1 ? 1 : 0 }
            case ">=": f = { $0 >= $1 ? 1 : 0 }
            case "AND": f = { $0 != 0 && $1 != 0 ? 1 : 0 }
            default: f = { $0 != 0 || $1 != 0 ? 1 : 0 }
            }
            return try combine(evaluate(l, ctx), evaluate(r, ctx), f)
        case .call(let name, let args):
            return try call(name, args, ctx)
        }
    }

    static func map(_ r: Result, _ f: (Double) -> Double) -> Result {
        switch r {
        case .scalar(let d): return .scalar(f(d))
        case .series(let s): return .series(s.mapValues(f))
        case .array(let a): return .array(a.map { Labeled(label: $0.label, values: $0.values.mapValues(f)) })
        }
    }

    static func mapSeries(_ r: Result, _ name: String, _ f: ([Double: Double]) -> [Double: Double]) throws(Failure) -> Result {
        switch r {
        case .scalar: throw Failure(message: "\(name) needs a time series or an array of time series")
        case .series(let s): return .series(f(s))
        case .array(let a): return .array(a.map { Labeled(label: $0.label, values: f($0.values)) })
        }
    }

    /// Series with series: only timestamps both have. Arrays apply element-wise to each series.
    static func combine(_ a: Result, _ b: Result, _ f: (Double, Double) -> Double) throws(Failure) -> Result {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return .scalar(f(x, y))
        case (.series(let s), .scalar(let y)): return .series(s.mapValues { f($0, y) })
        case (.scalar(let x), .series(let s)): return .series(s.mapValues { f(x, $0) })
        case (.series(let s), .series(let t)):
            var out: [Double: Double] = [:]
            for (k, v) in s { if let w = t[k] { out[k] = f(v, w) } }
            return .series(out)
        case (.array(let arr), .array):
            _ = arr
            throw Failure(message: "Operations between two arrays of time series are not supported")
        case (.array(let arr), let other):
            return .array(try arr.map { s throws(Failure) in
                guard case .series(let r) = try combine(.series(s.values), other, f) else { return s }
                return Labeled(label: s.label, values: r)
            })
        case (let other, .array(let arr)):
            return .array(try arr.map { s throws(Failure) in
                guard case .series(let r) = try combine(other, .series(s.values), f) else { return s }
                return Labeled(label: s.label, values: r)
            })
        }
    }

    static func arity(_ name: String, _ args: [Node], _ counts: ClosedRange<Int>) throws(Failure) {
        guard counts.contains(args.count) else {
            let n = counts.lowerBound == counts.upperBound ? "\(counts.lowerBound)" : "\(counts.lowerBound) to \(counts.upperBound)"
            throw Failure(message: "\(name) takes \(n) argument\(counts.upperBound == 1 ? "" : "s"), \(args.count) given")
        }
    }

    static func array(_ r: Result, _ name: String) throws(Failure) -> [Labeled] {
        switch r {
        case .array(let a): return a
        case .series(let s): return [Labeled(label: "", values: s)]
        case .scalar: throw Failure(message: "\(name) needs an array of time series")
        }
    }

    static func integer(_ node: Node, _ ctx: Context, _ name: String) throws(Failure) -> Int {
        guard case .scalar(let d) = try evaluate(node, ctx), d.isFinite, d == d.rounded(), abs(d) < 1e9 else {
            throw Failure(message: "\(name) needs a whole number here")
        }
        return Int(d)
    }

    static func reducer(_ name: String) -> (([Double]) -> Double)? {
        switch name {
        case "SUM": { $0.reduce(0, +) }
        case "AVG": { $0.reduce(0, +) / Double($0.count) }
        case "MIN": { $0.min() ?? .nan }
        case "MAX": { $0.max() ?? .nan }
        // Population standard deviation: the spread of the values present, none assumed.
        case "STDDEV": { v in
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        }
        case "DATAPOINT_COUNT": { Double($0.count) }
        default: nil
        }
    }

    static func call(_ name: String, _ args: [Node], _ ctx: Context) throws(Failure) -> Result {
        switch name {
        case "METRICS":
            try arity(name, args, 0...1)
            var filter: String?
            if let first = args.first {
                guard case .string(let s) = first else { throw Failure(message: "METRICS takes a string argument") }
                filter = s
            }
            return .array(ctx.order.compactMap { id in
                let label = ctx.labels[id] ?? id
                if let filter, !label.contains(filter) { return nil }
                return ctx.series[id].map { Labeled(label: label, values: $0) }
            })
        case "SEARCH":
            try arity(name, args, 2...3)
            guard let search = ctx.search else { throw Failure(message: "SEARCH is not supported in this context") }
            guard case .string(let query) = args[0], case .string(let stat) = args[1] else {
                throw Failure(message: "SEARCH takes a quoted search expression and a quoted statistic")
            }
            let period = args.count == 3 ? try integer(args[2], ctx, name) : nil
            return .array(try search(query, stat, period))
        case "ANOMALY_DETECTION_BAND":
            try arity(name, args, 1...2)
            guard let band = ctx.band else { throw Failure(message: "ANOMALY_DETECTION_BAND is not supported in this context") }
            guard case .ref(let id) = args[0] else { throw Failure(message: "The first argument of ANOMALY_DETECTION_BAND must be a metric id") }
            var k = 2.0
            if args.count == 2 {
                guard case .scalar(let d) = try evaluate(args[1], ctx), d.isFinite, d >= 0 else {
                    throw Failure(message: "The second argument of ANOMALY_DETECTION_BAND must be a positive number")
                }
                k = d
            }
            return .array(try band(id, k))
        case "SUM", "AVG", "MIN", "MAX", "STDDEV", "DATAPOINT_COUNT":
            try arity(name, args, 1...1)
            let reduce = reducer(name)!
            switch try evaluate(args[0], ctx) {
            case .scalar(let d): return .scalar(name == "STDDEV" ? 0 : name == "DATAPOINT_COUNT" ? 1 : d)
            case .series(let s): return s.isEmpty ? .series([:]) : .scalar(reduce(Array(s.values)))
            case .array(let arr):
                var byTime: [Double: [Double]] = [:]
                for s in arr { for (k, v) in s.values { byTime[k, default: []].append(v) } }
                return .series(byTime.mapValues(reduce))
            }
        case "ABS", "LOG", "LOG10", "SQRT", "CEIL", "FLOOR":
            try arity(name, args, 1...1)
            let f: (Double) -> Double = switch name {
            case "ABS": { abs($0) }
            case "LOG": { Foundation.log($0) }
            case "LOG10": { Foundation.log10($0) }
            case "SQRT": { $0.squareRoot() }
            case "CEIL": { $0.rounded(.up) }
            default: { $0.rounded(.down) }
            }
            return map(try evaluate(args[0], ctx), f)
        case "PERIOD":
            try arity(name, args, 1...1)
            let p = Double(ctx.period)
            return try mapSeries(try evaluate(args[0], ctx), name) { $0.mapValues { _ in p } }
        case "EPOCH", "MINUTE", "HOUR", "DAY", "DATE", "MONTH", "YEAR":
            try arity(name, args, 1...1)
            return try mapSeries(try evaluate(args[0], ctx), name) { s in
                Dictionary(uniqueKeysWithValues: s.keys.map { ($0, timePart(name, $0)) })
            }
        case "TIME_SERIES":
            try arity(name, args, 1...1)
            switch try evaluate(args[0], ctx) {
            case .scalar(let d): return .series(Dictionary(uniqueKeysWithValues: ctx.grid.map { ($0, d) }))
            case let other: return other
            }
        case "RUNNING_SUM":
            try arity(name, args, 1...1)
            return try mapSeries(try evaluate(args[0], ctx), name) { s in
                var total = 0.0, out: [Double: Double] = [:]
                for k in s.keys.sorted() { total += s[k]!; out[k] = total }
                return out
            }
        case "RATE", "DIFF", "DIFF_TIME":
            try arity(name, args, 1...1)
            return try mapSeries(try evaluate(args[0], ctx), name) { s in
                let keys = s.keys.sorted()
                var out: [Double: Double] = [:]
                for (a, b) in zip(keys, keys.dropFirst()) {
                    let d = s[b]! - s[a]!
                    out[b] = name == "RATE" ? d / (b - a) : name == "DIFF" ? d : b - a
                }
                return out
            }
        case "FILL":
            try arity(name, args, 2...2)
            let target = try evaluate(args[0], ctx)
            let fill: (([Double: Double]) -> [Double: Double])
            if case .ref(let r) = args[1], r.uppercased() == "REPEAT" || r.uppercased() == "LINEAR" {
                let linear = r.uppercased() == "LINEAR"
                fill = { s in
                    var out = s
                    let known = s.keys.sorted()
                    for t in ctx.grid where s[t] == nil {
                        guard let before = known.last(where: { $0 < t }) else { continue }
                        if linear {
                            guard let after = known.first(where: { $0 > t }) else { continue }
                            out[t] = s[before]! + (s[after]! - s[before]!) * (t - before) / (after - before)
                        } else {
                            out[t] = s[before]!
                        }
                    }
                    return out
                }
            } else {
                guard case .scalar(let d) = try evaluate(args[1], ctx) else {
                    throw Failure(message: "The second argument of FILL must be a number, REPEAT or LINEAR")
                }
                fill = { s in
                    var out = s
                    for t in ctx.grid where out[t] == nil { out[t] = d }
                    return out
                }
            }
            switch target {
            case .scalar: return target
            case .series(let s): return .series(fill(s))
            case .array(let a): return .array(a.map { Labeled(label: $0.label, values: fill($0.values)) })
            }
        case "IF":
            try arity(name, args, 2...3)
            return try ifThenElse(try evaluate(args[0], ctx), try evaluate(args[1], ctx),
                                  args.count == 3 ? try evaluate(args[2], ctx) : nil)
        case "REMOVE_EMPTY":
            try arity(name, args, 1...1)
            return .array(try array(try evaluate(args[0], ctx), name).filter { !$0.values.isEmpty })
        case "FIRST", "LAST":
            try arity(name, args, 1...1)
            let arr = try array(try evaluate(args[0], ctx), name)
            guard let pick = name == "FIRST" ? arr.first : arr.last else { return .series([:]) }
            return .series(pick.values)
        case "METRIC_COUNT":
            try arity(name, args, 1...1)
            return .scalar(Double(try array(try evaluate(args[0], ctx), name).count))
        case "SORT":
            try arity(name, args, 3...4)
            let arr = try array(try evaluate(args[0], ctx), name)
            guard case .ref(let fname) = args[1], let reduce = reducer(fname.uppercased()) else {
                throw Failure(message: "The second argument of SORT must be one of AVG, MAX, MIN, SUM, STDDEV")
            }
            guard case .ref(let order) = args[2], ["ASC", "DESC"].contains(order.uppercased()) else {
                throw Failure(message: "The third argument of SORT must be ASC or DESC")
            }
            let descending = order.uppercased() == "DESC"
            // Empty series sort last either way: they have no value to compare.
            var keyed: [(series: Labeled, key: Double?)] = arr.map { s in
                (s, s.values.isEmpty ? nil : reduce(Array(s.values.values)))
            }
            keyed.sort { a, b in
                switch (a.key, b.key) {
                case (let x?, let y?): descending ? x > y : x < y
                case (.some, nil): true
                default: false
                }
            }
            var sorted = keyed.map(\.series)
            if args.count == 4 {
                let n = try integer(args[3], ctx, name)
                guard n >= 0 else { throw Failure(message: "The fourth argument of SORT must not be negative") }
                sorted = Array(sorted.prefix(n))
            }
            return .array(sorted)
        case "SLICE":
            try arity(name, args, 2...3)
            let arr = try array(try evaluate(args[0], ctx), name)
            let start = try integer(args[1], ctx, name)
            if args.count == 2 {
                guard arr.indices.contains(start) else { throw Failure(message: "SLICE index \(start) is out of range") }
                return .series(arr[start].values)
            }
            let end = try integer(args[2], ctx, name)
            guard start >= 0, end >= start else { throw Failure(message: "SLICE needs 0 <= start <= end") }
            return .array(Array(arr[min(start, arr.count)..<min(end, arr.count)]))
        default:
            throw Failure(message: "Unsupported function: \(name)")
        }
    }

    /// IF(condition, a[, b]): where the condition is true (not 0) a's value, elsewhere b's, or
    /// no point when b is absent. A scalar condition picks a or b whole.
    static func ifThenElse(_ cond: Result, _ a: Result, _ b: Result?) throws(Failure) -> Result {
        func value(_ r: Result?, _ t: Double, _ index: Int) -> Double? {
            switch r {
            case .scalar(let d)?: d
            case .series(let s)?: s[t]
            case .array(let arr)?: index < arr.count ? arr[index].values[t] : nil
            case nil: nil
            }
        }
        func pick(_ c: [Double: Double], _ index: Int) -> [Double: Double] {
            var out: [Double: Double] = [:]
            for (t, v) in c { if let x = value(v != 0 ? a : b, t, index) { out[t] = x } }
            return out
        }
        switch cond {
        case .scalar(let d):
            if d != 0 { return a }
            return b ?? .series([:])
        case .series(let c):
            var width = 0
            for r in [a, b] { if case .array(let arr)? = r { width = max(width, arr.count) } }
            if width == 0 { return .series(pick(c, 0)) }
            let labels: [String] = { if case .array(let arr) = a { return arr.map(\.label) }; if case .array(let arr)? = b { return arr.map(\.label) }; return [] }()
            return .array((0..<width).map { Labeled(label: $0 < labels.count ? labels[$0] : "", values: pick(c, $0)) })
        case .array(let arr):
            return .array(arr.enumerated().map { Labeled(label: $0.element.label, values: pick($0.element.values, $0.offset)) })
        }
    }

    static func timePart(_ name: String, _ t: Double) -> Double {
        if name == "EPOCH" { return t }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.minute, .hour, .weekday, .day, .month, .year], from: Date(timeIntervalSince1970: t))
        switch name {
        case "MINUTE": return Double(c.minute ?? 0)
        case "HOUR": return Double(c.hour ?? 0)
        // AWS's DAY is the day of the week, 1 = Monday … 7 = Sunday (Foundation's 1 is Sunday).
        case "DAY": return Double(((c.weekday ?? 1) + 5) % 7 + 1)
        case "DATE": return Double(c.day ?? 0)
        case "MONTH": return Double(c.month ?? 0)
        default: return Double(c.year ?? 0)
        }
    }
}
