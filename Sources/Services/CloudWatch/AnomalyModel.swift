/// Simfra's anomaly detection model (not AWS's machine-learned one, which nobody can reproduce):
/// the expected value at a period is the mean of the metric's per-period values over the
/// trailing two weeks before it, and the band is mean ± k·stddev (population stddev). A period
/// with fewer than `minimumPoints` values before it has no band yet, as a model still training.
enum AnomalyModel {
    static let window: Double = 14 * 86400
    static let minimumPoints = 3

    /// `history`: per-period values, any order. Answers (lower, upper) at each of `times` that has enough history.
    static func band(history: [Double: Double], at times: [Double], k: Double) -> (lower: [Double: Double], upper: [Double: Double]) {
        let keys = history.keys.sorted()
        // Prefix sums so each window is O(log n): sum and sum of squares of values before index i.
        var sum = [0.0], squares = [0.0]
        for t in keys {
            let v = history[t]!
            sum.append(sum.last! + v)
            squares.append(squares.last! + v * v)
        }
        func index(_ t: Double) -> Int {
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var lower: [Double: Double] = [:], upper: [Double: Double] = [:]
        for t in times {
            let a = index(t - window), b = index(t)
            let n = Double(b - a)
            guard b - a >= minimumPoints else { continue }
            let mean = (sum[b] - sum[a]) / n
            let variance = max(0, (squares[b] - squares[a]) / n - mean * mean)
            let spread = k * variance.squareRoot()
            lower[t] = mean - spread
            upper[t] = mean + spread
        }
        return (lower, upper)
    }
}
