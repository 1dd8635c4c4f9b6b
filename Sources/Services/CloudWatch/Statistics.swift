/// The statistics of one period's points: what GetMetricStatistics, GetMetricData and alarm
/// evaluation compute, from raw samples (weighted by their counts) and statistic sets.
struct PeriodStatistics: Sendable {
    var sampleCount: Double = 0
    var sum: Double = 0
    var minimum = Double.infinity
    var maximum = -Double.infinity
    /// Raw values with their counts, sorted on demand for percentiles.
    var values: [(value: Double, count: Double)] = []

    var isEmpty: Bool { sampleCount == 0 }
    var average: Double { sampleCount == 0 ? 0 : sum / sampleCount }

    mutating func add(_ s: MetricStore.Sample) {
        let c = Double(s.count)
        sampleCount += c
        sum += s.value * c
        minimum = min(minimum, s.value)
        maximum = max(maximum, s.value)
        values.append((s.value, c))
    }

    mutating func add(_ s: MetricStore.StatisticSet) {
        sampleCount += s.sampleCount
        sum += s.sum
        minimum = min(minimum, s.minimum)
        maximum = max(maximum, s.maximum)
    }

    /// One statistic by CloudWatch's name (`Average`, `p99`, `tm90`…); nil when it has no value
    /// (a percentile over statistic sets only, or an unknown name).
    func value(of stat: String) -> Double? {
        guard !isEmpty else { return nil }
        switch stat {
        case "SampleCount": return sampleCount
        case "Sum": return sum
        case "Minimum": return minimum
        case "Maximum": return maximum
        case "Average": return average
        default:
            guard let ext = ExtendedStatistic(stat) else { return nil }
            return extended(ext)
        }
    }

    func extended(_ e: ExtendedStatistic) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted { $0.value < $1.value }
        let total = sorted.reduce(0) { $0 + $1.count }
        switch e.kind {
        case .percentile:
            // Nearest rank over the weighted values.
            let rank = max(1, (e.upper / 100 * total).rounded(.up))
            var seen = 0.0
            for v in sorted {
                seen += v.count
                if seen >= rank { return v.value }
            }
            return sorted.last?.value
        case .trimmedMean, .trimmedCount, .trimmedSum:
            // Values whose rank lies in (lower%, upper%] of the distribution.
            let lo = e.lower / 100 * total, hi = e.upper / 100 * total
            var seen = 0.0, count = 0.0, sum = 0.0
            for v in sorted {
                let start = seen, end = seen + v.count
                seen = end
                let inside = max(0, min(end, hi) - max(start, lo))
                count += inside
                sum += inside * v.value
            }
            switch e.kind {
            case .trimmedCount: return count
            case .trimmedSum: return sum
            default: return count == 0 ? nil : sum / count
            }
        }
    }
}

/// `p99`, `p99.9`, `tm90`, `tm(10%:90%)`, `tc90`, `ts90`: the extended statistics this
/// implementation computes (winsorized mean and `PR` are not among them).
struct ExtendedStatistic: Sendable, Equatable {
    enum Kind: Sendable { case percentile, trimmedMean, trimmedCount, trimmedSum }
    var kind: Kind
    var lower: Double
    var upper: Double

    init?(_ s: String) {
        let prefixes: [(String, Kind)] = [("tm", .trimmedMean), ("tc", .trimmedCount), ("ts", .trimmedSum),
                                          ("p", .percentile)]
        guard let (prefix, kind) = prefixes.first(where: { s.hasPrefix($0.0) }) else { return nil }
        let rest = s.dropFirst(prefix.count)
        self.kind = kind
        if rest.hasPrefix("("), rest.hasSuffix(")"), kind != .percentile {
            let parts = rest.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            func pct(_ p: Substring) -> Double? {
                if p.isEmpty { return nil }
                guard p.hasSuffix("%"), let d = Double(p.dropLast()), d >= 0, d <= 100 else { return nil }
                return d
            }
            let lo = parts[0].isEmpty ? 0 : pct(parts[0]), hi = parts[1].isEmpty ? 100 : pct(parts[1])
            guard let lo, let hi, lo < hi else { return nil }
            lower = lo
            upper = hi
            return
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isNumber || $0 == "." }), let d = Double(rest), d >= 0, d <= 100
        else { return nil }
        if let dot = rest.firstIndex(of: "."), rest.distance(from: dot, to: rest.endIndex) > 11 { return nil }
        lower = 0
        upper = d
    }

    static func isValid(_ s: String) -> Bool { ExtendedStatistic(s) != nil }
}
