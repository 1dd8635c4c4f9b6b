import Foundation

/// The decision of one alarm evaluation, a plain value: given the alarm's last
/// `EvaluationPeriods` datapoints (newest first, nil = missing), AWS's M-out-of-N rule and
/// `TreatMissingData` give the new state and its reason.
///
/// - breaching / notBreaching: a missing point counts as one that crosses / does not cross.
/// - missing (default): missing points are left out; all missing → INSUFFICIENT_DATA.
/// - ignore: as missing, but all missing keeps the current state.
struct AlarmEvaluation: Equatable {
    var state: String
    var reason: String
    /// Present datapoints the decision used, newest first, for the reason data.
    var evaluated: [(time: Double, value: Double)]

    static func == (a: AlarmEvaluation, b: AlarmEvaluation) -> Bool { a.state == b.state && a.reason == b.reason }

    static func crosses(_ v: Double, _ op: String, _ threshold: Double) -> Bool {
        switch op {
        case "GreaterThanOrEqualToThreshold": v >= threshold
        case "LessThanThreshold": v < threshold
        case "LessThanOrEqualToThreshold": v <= threshold
        default: v > threshold
        }
    }

    /// Band operators (anomaly detection alarms) compare with the band at the point's period.
    static func crosses(_ v: Double, _ op: String, band: (lower: Double, upper: Double)) -> Bool {
        switch op {
        case "LessThanLowerThreshold": v < band.lower
        case "GreaterThanUpperThreshold": v > band.upper
        default: v < band.lower || v > band.upper
        }
    }

    static func words(_ op: String) -> String {
        switch op {
        case "LessThanLowerOrGreaterThanUpperThreshold": "outside the band of"
        case "LessThanLowerThreshold": "less than the lower bound of"
        case "GreaterThanUpperThreshold": "greater than the upper bound of"
        case "GreaterThanOrEqualToThreshold": "greater than or equal to"
        case "LessThanThreshold": "less than"
        case "LessThanOrEqualToThreshold": "less than or equal to"
        default: "greater than"
        }
    }

    /// `points`: (period start, value or nil), newest first, exactly N of them.
    static func decide(points: [(time: Double, value: Double?)], comparison: String, threshold: Double,
                       datapointsToAlarm m: Int, treatMissingData: String, currentState: String,
                       bands: [Double: (lower: Double, upper: Double)] = [:]) -> AlarmEvaluation?
    {
        let crosses: (_ p: (time: Double, value: Double)) -> Bool = { p in
            if let band = bands[p.time] { return Self.crosses(p.value, comparison, band: band) }
            return Self.crosses(p.value, comparison, threshold)
        }
        let n = points.count
        let present = points.compactMap { p in p.value.map { (time: p.time, value: $0) } }
        if present.isEmpty {
            switch treatMissingData {
            case "breaching":
                return AlarmEvaluation(
                    state: m <= n ? "ALARM" : "OK",
                    reason: "Threshold Crossed: no datapoints were received for \(n) period\(n == 1 ? "" : "s") and \(n) missing datapoint\(n == 1 ? " was" : "s were") treated as [Breaching].",
                    evaluated: [])
            case "notBreaching":
                return AlarmEvaluation(
                    state: "OK",
                    reason: "Threshold Crossed: no datapoints were received for \(n) period\(n == 1 ? "" : "s") and \(n) missing datapoint\(n == 1 ? " was" : "s were") treated as [NonBreaching].",
                    evaluated: [])
            case "ignore":
                return nil
            default:
                return AlarmEvaluation(
                    state: "INSUFFICIENT_DATA",
                    reason: "Insufficient Data: \(n) datapoint\(n == 1 ? " was" : "s were") unknown.", evaluated: [])
            }
        }
        let missingBreaches = treatMissingData == "breaching"
        let counted = treatMissingData == "breaching" || treatMissingData == "notBreaching"
        var breaching = present.filter { crosses($0) }.count
        if missingBreaches { breaching += n - present.count }
        let alarm = breaching >= m
        let state = alarm ? "ALARM" : "OK"
        // AWS's sentence: the datapoints that decided, with their period start.
        let shown = present.filter { crosses($0) == alarm }
        let list = shown.map { "\(format($0.value)) (\(date($0.time)))" }.joined(separator: ", ")
        let verb = (alarm ? "" : "not ") + words(comparison)
        // A band alarm names the band of its newest judged point instead of one threshold.
        let thresholdText = present.first.flatMap { bands[$0.time] }.map { "(\(format($0.lower)), \(format($0.upper)))" }
            ?? "(\(format(threshold)))"
        let reason: String
        if n == 1 {
            reason = "Threshold Crossed: 1 datapoint [\(list)] was \(verb) the threshold \(thresholdText)."
        } else {
            let k = alarm ? breaching : (counted ? n - breaching : present.count - breaching)
            let transition = alarm ? "OK -> ALARM" : "ALARM -> OK"
            let need = alarm ? m : n - m + 1
            reason = "Threshold Crossed: \(k) out of the last \(n) datapoints [\(list)] were \(verb) the threshold \(thresholdText) (minimum \(need) datapoint\(need == 1 ? "" : "s") for \(transition) transition)."
        }
        return AlarmEvaluation(state: state, reason: reason, evaluated: present)
    }

    /// AWS's low-sample rule for percentile alarms: a pNN statistic needs at least 10/(1-p)
    /// samples for p in [0.5, 1), 10/p below 0.5 (p99: 1,000). Other statistics never do.
    static func tooFewSamples(statistic: String, samples: Double) -> Bool {
        guard statistic.hasPrefix("p"), let pct = Double(statistic.dropFirst()), pct > 0, pct < 100 else { return false }
        // In percent, so p90 needs exactly 100 (10 / (1 - 0.9) is 100.00000000000003 in binary).
        let needed = pct >= 50 ? 1000 / (100 - pct) : 1000 / pct
        return samples < needed
    }

    /// Numbers as AWS prints them in reasons: `21.0`, `21.5`.
    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : String(d)
    }

    /// `07/12/26 16:30:00`: AWS's MM/dd/yy HH:mm:ss in UTC.
    static func date(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "MM/dd/yy HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
