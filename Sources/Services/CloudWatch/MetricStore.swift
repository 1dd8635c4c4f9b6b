/// Metric points, in memory only (AWS's seed lists them as transient), grouped by series.
///
/// A series is one (account, region, namespace, name, dimensions, unit): AWS treats points of
/// one metric sent with different units as separate data, and GetMetricStatistics' `Unit`
/// selects among them. A point costs 16 bytes (`Sample`); statistic sets (pre-aggregated
/// points) 40. Points older than AWS's longest retention (15 months, rolled up) are dropped
/// on insert; here the cut is 15 days, past which AWS keeps only hourly rollups no test
/// tells apart from the raw points we would otherwise keep forever.
struct MetricStore: Sendable {
    struct SeriesKey: Hashable, Sendable {
        var account: String
        var region: String
        var namespace: String
        var name: String
        /// Sorted by name: AWS identifies a metric by its dimension set, not the order sent.
        var dimensions: [Dimension]
        var unit: String
    }

    struct Dimension: Hashable, Sendable, Comparable {
        var name: String
        var value: String
        static func < (a: Dimension, b: Dimension) -> Bool { (a.name, a.value) < (b.name, b.value) }
    }

    /// One value (or one value repeated `count` times, from `Values`/`Counts`).
    struct Sample: Sendable {
        var time: UInt32
        var count: Float
        var value: Double
    }

    /// A pre-aggregated point (`StatisticValues`): no raw values, so no percentiles from it.
    struct StatisticSet: Sendable {
        var time: UInt32
        var sampleCount: Double
        var sum: Double
        var minimum: Double
        var maximum: Double
    }

    struct Series: Sendable {
        var samples: [Sample] = []
        var sets: [StatisticSet] = []
        /// When the last point was put (not its timestamp), for ListMetrics `RecentlyActive`.
        var lastPut: Double = 0

        mutating func add(samples new: [Sample], sets newSets: [StatisticSet], now: Double, cut: UInt32) {
            samples.append(contentsOf: new)
            sets.append(contentsOf: newSets)
            lastPut = now
            if let first = samples.first, first.time < cut { samples.removeAll { $0.time < cut } }
            if let first = sets.first, first.time < cut { sets.removeAll { $0.time < cut } }
        }
    }

    static let retention: Double = 15 * 86400

    /// Whole seconds since the epoch, clamped to what a point stores (never trapping on a
    /// NaN or a timestamp centuries away).
    static func seconds(_ t: Double) -> UInt32 {
        guard t.isFinite else { return 0 }
        return UInt32(max(0, min(Double(UInt32.max), t.rounded(.down))))
    }

    var series: [SeriesKey: Series] = [:]

    /// Appends in place: reading the series out and storing it back held a second reference
    /// to its arrays, so every put copied the whole series (linear in its size per put).
    mutating func add(_ key: SeriesKey, samples: [Sample], sets: [StatisticSet], now: Double) {
        series[key, default: Series()].add(samples: samples, sets: sets, now: now, cut: Self.seconds(now - Self.retention))
    }

    /// Series of one metric (any unit unless `unit` is given) whose dimensions equal `dimensions`.
    func matching(account: String, region: String, namespace: String, name: String, dimensions: [Dimension],
                  unit: String?) -> [Series]
    {
        let dims = dimensions.sorted()
        return series.compactMap { key, value in
            key.account == account && key.region == region && key.namespace == namespace && key.name == name
                && key.dimensions == dims && (unit == nil || key.unit == unit) ? value : nil
        }
    }

    mutating func removeAccount(_ account: String) {
        series = series.filter { $0.key.account != account }
    }
}
