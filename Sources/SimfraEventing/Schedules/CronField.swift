/// One of the plain cron fields (minutes, hours, month, year, and the value forms of
/// day-of-month and day-of-week): the set of values it allows, from `*`, `a`, `a-b`
/// (wrapping past the maximum as Quartz does: `FRI-MON`), `*/n`, `a/n`, `a-b/n` and lists of those.
struct CronField: Sendable, Equatable {
    var values: Set<Int>

    /// - Parameters:
    ///   - names: three-letter names (`JAN`, `SUN`) mapped to values, upper-case.
    static func parse(_ text: String, min: Int, max: Int, names: [String: Int] = [:], field: String)
        throws(ScheduleExpressionError) -> CronField
    {
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            try values.formUnion(parseItem(String(item), min: min, max: max, names: names, field: field))
        }
        return CronField(values: values)
    }

    private static func parseItem(_ item: String, min: Int, max: Int, names: [String: Int], field: String)
        throws(ScheduleExpressionError) -> Set<Int>
    {
        guard !item.isEmpty else { throw ScheduleExpressionError("empty list item in the \(field) field") }
        var rangePart = Substring(item)
        var step: Int?
        if let slash = item.firstIndex(of: "/") {
            rangePart = item[..<slash]
            let stepText = item[item.index(after: slash)...]
            guard let s = number(stepText), s > 0, s <= max - min + 1 else {
                throw ScheduleExpressionError("invalid increment '\(stepText)' in the \(field) field")
            }
            step = s
        }
        var lo: Int
        var hi: Int
        if rangePart == "*" {
            lo = min
            hi = max
        } else if let dash = rangePart.firstIndex(of: "-") {
            lo = try value(rangePart[..<dash], min: min, max: max, names: names, field: field)
            hi = try value(rangePart[rangePart.index(after: dash)...], min: min, max: max, names: names, field: field)
        } else {
            lo = try value(rangePart, min: min, max: max, names: names, field: field)
            // `a/n` runs from a to the field's maximum.
            hi = step == nil ? lo : max
        }
        var out = Set<Int>()
        let stride = step ?? 1
        // A wrapping range (22-2 hours) runs to the maximum and on from the minimum.
        let span = hi >= lo ? hi - lo : (max - lo) + (hi - min) + 1
        var offset = 0
        while offset <= span {
            var v = lo + offset
            if v > max { v -= max - min + 1 }
            out.insert(v)
            offset += stride
        }
        return out
    }

    static func value(_ text: Substring, min: Int, max: Int, names: [String: Int], field: String)
        throws(ScheduleExpressionError) -> Int
    {
        if let n = names[String(text)] { return n }
        guard let n = number(text), n >= min, n <= max else {
            throw ScheduleExpressionError("'\(text)' is not a valid value of the \(field) field (\(min)-\(max))")
        }
        return n
    }

    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 4, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    static let monthNames: [String: Int] = [
        "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
        "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    ]
    static let weekdayNames: [String: Int] = ["SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7]
}
