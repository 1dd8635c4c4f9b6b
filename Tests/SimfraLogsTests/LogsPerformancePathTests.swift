import SimfraCore
import SimfraProtocols
import Testing

@testable import SimfraLogs

/// The fast paths FilterLogEvents and PutLogEvents take over large groups answer exactly
/// what the plain ones did: the JSON skim against a full parse, byte term search against
/// `contains`, in-place appends of out-of-order batches, binary-searched time windows.
@Suite struct LogsPerformancePathTests {
    static let messages: [String] = [
        #"{"a":1,"b":"x"}"#, #" { "a" : 1 , "b" : [1,2,{"c":null}] } "#, #"{"a":1,"a":2}"#, #"{}"#,
        #"{"a":"\u00e9t\u00e9","b\"q":3}"#, #"{"b\u0061":5}"#, #"{"a":"\ud800"}"#, #"{"a":"\ud83d\ude00"}"#,
        #"{"a":1,}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-0.5e+3}"#, #"{"a":tru}"#, #"{"a":1} x"#, #"{"a" 1}"#,
        "{\"a\":\"tab\there\"}", #"{"a":"bad \q escape"}"#, #"[1,2]"#, #"not json"#, #""#, #"{"a":{"b":{"c":[true,false]}}}"#,
        #"{"x":[[[[[[[[[[[]]]]]]]]]]],"a":7}"#, #"{"a":1"#, #"{"a":"unterminated}"#, #"{"a":"é 🙂"}"#,
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        #"{"deep":"# + String(repeating: "[", count: 256) + String(repeating: "]", count: 256) + "}",
        #"{"deep":"# + String(repeating: "[", count: 255) + String(repeating: "]", count: 255) + ",\"a\":1}",
    ]

    static let patterns: [String] = [
        "{ $.a = 1 }", "{ $.a = 2 }", "{ $.a NOT EXISTS }", "{ $.a IS NULL }", "{ $.b[2].c IS NULL }",
        "{ $.a = \"été\" }", "{ $.ba = 5 }", "{ $.a = * }", "{ $.a != 1 || $.b = \"x\" }", "{ $.a < 0 }",
        "{ $.* = 1 }", "{ $.a.b.c[1] IS FALSE }", "{ $.x[0] NOT EXISTS }",
    ]

    @Test func skimAnswersAsAFullParse() throws {
        for p in Self.patterns {
            guard case .json(let c) = try FilterPattern.parse(p) else { Issue.record("not JSON: \(p)"); continue }
            let matcher = FilterMatcher(try FilterPattern.parse(p))
            for m in Self.messages {
                let full: Bool
                if case .object? = try? JSONReader.parse(Array(m.utf8)) { full = c.matches(try JSONReader.parse(Array(m.utf8))) } else { full = false }
                #expect(matcher.matches(m) == full, "\(p) on \(m.prefix(60))")
                #expect((try FilterPattern.parse(p).match(m) != nil) == full, "\(p) on \(m.prefix(60))")
            }
        }
    }

    @Test func skimReadsOnlyWantedMembersWithTheLastDuplicateWinning() {
        #expect(JSONSkim.members(of: #"{"a":1,"b":2,"a":3}"#, wanted: [Array("a".utf8)]) == ["a": .integer(3)])
        #expect(JSONSkim.members(of: #"{"a":1,"b":2}"#, wanted: []) == [:])
        #expect(JSONSkim.members(of: #"{"a":1,"b":}"#, wanted: []) == nil)
        #expect(JSONSkim.members(of: #"{"\u0062":[1]}"#, wanted: [Array("b".utf8)]) == ["b": .list([.integer(1)])])
    }

    @Test func termsMatchBytes() {
        #expect("[ERROR] disk full".containsBytes("ERROR"))
        #expect(!"[error] disk full".containsBytes("ERROR"))
        #expect("naïve café 🙂 end".containsBytes("café 🙂"))
        #expect("abc".containsBytes(""))
        #expect(!"".containsBytes("a"))
        #expect(!"ab".containsBytes("abc"))
        #expect("xxabc".containsBytes("abc"))
    }

    @Test func outOfOrderBatchesMergeIntoPlace() async throws {
        let h = Harness()
        try await h.setup()
        let t = h.nowMs
        _ = try await h.put("g", "s", [(t, "a0"), (t + 10, "a10"), (t + 20, "a20")])
        _ = try await h.put("g", "s", [(t + 5, "b5"), (t + 10, "b10"), (t + 30, "b30")])
        _ = try await h.put("g", "s", [(t - 5, "c-5")])
        let r = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "startFromHead": true])
        #expect(r["events"]?.listValue?.map { $0.string("message") ?? "" } == ["c-5", "a0", "b5", "a10", "b10", "a20", "b30"])
    }

    @Test func handWrittenBatchRecordsReadBackAsJSONEncoderOnes() throws {
        let events = ["plain", "quote \" backslash \\ slash /", "tab\tnew\nline \u{1}", "é 🙂 ü", ""].enumerated().map {
            LogEvent(timestamp: 1_700_000_000_000 + Int64($0.offset), ingestionTime: -5, message: $0.element, batch: 3,
                     sequence: Int64($0.offset) * 7)
        }
        let record = DurableRecord(kind: LogsRecord.batch, account: "a", region: "r", id: "g:s:000000000003",
                                   data: LogsRecord.encodeBatch(events))
        let back = try LogsRecord.decode(LogsRecord.Batch.self, record)
        #expect(back.e.map(\.message) == events.map(\.message))
        #expect(back.e.map(\.timestamp) == events.map(\.timestamp))
        #expect(back.e.map(\.ingestionTime) == events.map(\.ingestionTime))
        #expect(back.e.map(\.sequence) == events.map(\.sequence))
    }

    @Test func mergeInKeepsTimeThenArrivalOrder() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var list: [LogEvent] = [], all: [LogEvent] = []
            var seq: Int64 = 0
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                let batch = (0..<Int.random(in: 1...20, using: &rng)).map { _ in Int64.random(in: 0...40, using: &rng) }.sorted().map { t in
                    defer { seq += 1 }
                    return LogEvent(timestamp: t, ingestionTime: 0, message: "m\(seq)", batch: 0, sequence: seq)
                }
                LogsService.mergeIn(batch, into: &list)
                all += batch
            }
            let want = all.sorted { ($0.timestamp, $0.sequence) < ($1.timestamp, $1.sequence) }
            #expect(list.map(\.sequence) == want.map(\.sequence))
            #expect(list.map(\.message) == want.map(\.message))
        }
    }

    @Test func timeWindowsAndPagesOverManyEvents() async throws {
        let h = Harness()
        try await h.setup("g", ["a", "b"])
        let t = h.nowMs
        for k in 0..<10 {
            _ = try await h.put("g", "a", (0..<100).map { i in (t + Int64(k * 200 + i * 2), "a \(k * 100 + i) \(i % 10 == 0 ? "HIT" : "")") })
            _ = try await h.put("g", "b", (0..<100).map { i in (t + Int64(k * 200 + i * 2 + 1), "b \(k * 100 + i) \(i % 10 == 0 ? "HIT" : "")") })
        }
        // GetLogEvents' window: startTime inclusive, endTime exclusive.
        let w = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "a", "startFromHead": true,
                                                  "startTime": .integer(t + 10), "endTime": .integer(t + 20)])
        #expect(w["events"]?.listValue?.map { $0.string("message") ?? "" } == ["a 5 ", "a 6 ", "a 7 ", "a 8 ", "a 9 "])
        let back = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "a", "limit": 2,
                                                     "startTime": .integer(t + 10), "endTime": .integer(t + 20)])
        #expect(back["events"]?.listValue?.map { $0.string("message") ?? "" } == ["a 8 ", "a 9 "])
        let prev = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "a", "limit": 2, "nextToken": back["nextBackwardToken"]!,
                                                     "startTime": .integer(t + 10), "endTime": .integer(t + 20)])
        #expect(prev["events"]?.listValue?.map { $0.string("message") ?? "" } == ["a 6 ", "a 7 "])
        // FilterLogEvents' window is inclusive at both ends; pages interleave the streams.
        let f = try await h.call("FilterLogEvents", ["logGroupName": "g", "startTime": .integer(t + 2), "endTime": .integer(t + 5)])
        #expect(f["events"]?.listValue?.map { $0.string("message") ?? "" } == ["a 1 ", "b 1 ", "a 2 ", "b 2 "])
        var seen: [String] = []
        var token: Value?
        repeat {
            var input: [String: Value] = ["logGroupName": "g", "filterPattern": "HIT", "limit": 7]
            if let token { input["nextToken"] = token }
            let page = try await h.call("FilterLogEvents", .object(input))
            seen += page["events"]?.listValue?.map { $0.string("message") ?? "" } ?? []
            token = page["nextToken"]
        } while token != nil
        let want = (0..<10).flatMap { k in (0..<10).flatMap { i in ["a \(k * 100 + i * 10) HIT", "b \(k * 100 + i * 10) HIT"] } }
        #expect(seen == want)
        #expect(await h.error("FilterLogEvents", ["logGroupName": "g", "nextToken": .string(LogsService.token("5000"))])?.message
            == "The specified nextToken is invalid.")
        #expect(await h.error("FilterLogEvents", ["logGroupName": "g", "logStreamNames": ["a", "zz"]])?.message
            == "The specified log stream does not exist.")
    }
}
