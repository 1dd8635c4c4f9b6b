import SimfraCore
import Testing

@testable import SimfraLogs

@Suite struct InsightsTests {
    func rows() -> [InsightsQuery.Row] {
        let msgs = [#"{"level":"ERROR","latency":100,"user":{"id":"a"}}"#, #"{"level":"INFO","latency":20,"user":{"id":"b"}}"#,
                    #"{"level":"ERROR","latency":300,"user":{"id":"a"}}"#, "plain text user=c took 7 ms"]
        return msgs.enumerated().map { i, m in
            InsightsQuery.row(group: "g", account: "000000000000", stream: "s",
                              event: LogEvent(timestamp: 1_700_000_000_000 + Int64(i) * 60_000, ingestionTime: 0, message: m,
                                              batch: 0, sequence: Int64(i)), ptr: "p\(i)")
        }
    }

    func run(_ q: String) throws -> [[String: String]] {
        try InsightsQuery.parse(q).run(rows(), defaultLimit: 10_000).map { Dictionary($0, uniquingKeysWith: { a, _ in a }) }
    }

    @Test func fieldsFilterSortLimit() throws {
        let r = try run("fields @timestamp, level, latency | filter level = \"ERROR\" and latency > 50 | sort latency desc | limit 1")
        #expect(r.count == 1)
        #expect(r[0]["latency"] == "300")
        #expect(r[0]["@timestamp"] == "2023-11-14 22:15:20.000")
        #expect(r[0]["@ptr"] == "p2")
        let like = try run("fields @message | filter @message like /took \\d+ ms/")
        #expect(like.count == 1)
        let notIn = try run("filter level not in [\"INFO\"] and ispresent(level) | fields level")
        #expect(notIn.count == 2)
    }

    @Test func statsByFieldAndBin() throws {
        let r = try run("filter ispresent(latency) | stats count(*) as n, avg(latency) as a, max(latency) by level | sort level")
        #expect(r.count == 2)
        #expect(r[0]["level"] == "ERROR" && r[0]["n"] == "2" && r[0]["a"] == "200" && r[0]["max(latency)"] == "300")
        // 22:13:20 to 22:16:20: two five-minute bins of two events each.
        let bins = try run("stats count(*) as n by bin(5m) as t | sort t")
        #expect(bins.map { $0["t"] } == ["2023-11-14 22:10:00.000", "2023-11-14 22:15:00.000"])
        #expect(bins.map { $0["n"] } == ["2", "2"])
    }

    @Test func parseGlobAndRegex() throws {
        let g = try run("parse @message \"user=* took * ms\" as who, ms | filter ispresent(who) | fields who, ms")
        #expect(g.first?["who"] == "c" && g.first?["ms"] == "7")
        let re = try run("parse @message /user=(?<who>\\w+)/ | filter ispresent(who) | dedup who | display who")
        #expect(re.map { $0["who"] } == ["c"])
    }

    @Test(arguments: ["", "fields", "filter (a = 1", "stats foo(x)", "limit 0", "bogus x", "fields a | | fields b", "parse @message",
                      "filter " + String(repeating: "(", count: 5000) + "a = 1" + String(repeating: ")", count: 5000),
                      "filter " + String(repeating: "not ", count: 5000) + "a", "fields " + String(repeating: "-", count: 5000) + "1"])
    func malformed(_ q: String) {
        #expect(throws: InsightsQuery.Invalid.self) { try InsightsQuery.parse(q) }
    }
}
