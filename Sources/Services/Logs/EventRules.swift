/// PutLogEvents' acceptance rules as a plain value, so they are tested without a service.
/// AWS rejects a whole batch for its shape (too many events, too large, unordered, over 24 h)
/// and accepts the rest of a batch partly: events too old or too new are reported by index.
enum EventRules {
    static let maxEvents = 10_000
    static let maxBatchBytes = 1_048_576
    static let perEventOverhead = 26
    static let maxSpanMillis: Int64 = 24 * 3600 * 1000
    static let maxAgeMillis: Int64 = 14 * 24 * 3600 * 1000
    static let maxFutureMillis: Int64 = 2 * 3600 * 1000

    enum BatchError: Equatable {
        case tooMany, tooLarge(Int), unordered, spansOverADay
    }

    struct Verdict: Equatable {
        /// Indices of the accepted events (a contiguous range: the batch is sorted).
        var accepted: Range<Int>
        var tooOldEnd: Int?
        var expiredEnd: Int?
        var tooNewStart: Int?
    }

    static func check(_ events: [(timestamp: Int64, message: String)], now: Int64, retentionDays: Int?) -> Result<Verdict, BatchErrorBox> {
        if events.count > maxEvents { return .failure(BatchErrorBox(.tooMany)) }
        let bytes = events.reduce(0) { $0 + $1.message.utf8.count + perEventOverhead }
        if bytes > maxBatchBytes { return .failure(BatchErrorBox(.tooLarge(bytes))) }
        for i in events.indices.dropFirst() where events[i].timestamp < events[i - 1].timestamp {
            return .failure(BatchErrorBox(.unordered))
        }
        if let f = events.first, let l = events.last,
           case let (span, overflow) = l.timestamp.subtractingReportingOverflow(f.timestamp), overflow || span > maxSpanMillis
        {
            return .failure(BatchErrorBox(.spansOverADay))
        }
        var v = Verdict(accepted: 0..<events.count)
        var lo = 0, hi = events.count
        let oldest = now - maxAgeMillis
        let retained = retentionDays.map { now - Int64($0) * 86_400_000 }
        for (i, e) in events.enumerated() {
            if e.timestamp < oldest { v.tooOldEnd = i; lo = i + 1 }
            else if let r = retained, e.timestamp < r { v.expiredEnd = i; lo = i + 1 }
        }
        for (i, e) in events.enumerated().reversed() where e.timestamp > now + maxFutureMillis {
            v.tooNewStart = i
            hi = i
        }
        v.accepted = lo..<max(lo, hi)
        return .success(v)
    }

    struct BatchErrorBox: Error, Equatable {
        var error: BatchError
        init(_ e: BatchError) { error = e }
    }
}
