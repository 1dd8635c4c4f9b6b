import Testing

@testable import SimfraLogs

/// The filter pattern language, table-driven from AWS's documented examples
/// (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
@Suite struct FilterPatternTests {
    func m(_ p: String, _ msg: String) throws -> Bool { try FilterPattern.parse(p).match(msg) != nil }

    @Test(arguments: [
        ("", "anything", true),
        ("ERROR", "[ERROR] disk full", true),
        ("ERROR", "[error] disk full", false),
        ("ERROR ARGUMENTS", "ERROR bad ARGUMENTS", true),
        ("ERROR ARGUMENTS", "ERROR only", false),
        ("\"Out of memory\"", "fatal: Out of memory here", true),
        ("\"Out of memory\"", "Out memory of", false),
        ("ERROR -Exception", "ERROR plain", true),
        ("ERROR -Exception", "ERROR Exception thrown", false),
        ("?ERROR ?WARN", "WARN low disk", true),
        ("?ERROR ?WARN", "INFO fine", false),
        ("?\"bad thing\" ?Exception", "a bad thing happened", true),
    ])
    func terms(_ p: String, _ msg: String, _ want: Bool) throws {
        #expect(try m(p, msg) == want)
    }

    static let json = #"{"eventType":"UpdateTrail","sourceIPAddress":"123.123.123.123","arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"cluster":{"status":"ok","size":5},"flag":true,"latency":250}"#

    @Test(arguments: [
        ("{ $.eventType = \"UpdateTrail\" }", true),
        ("{ $.eventType = UpdateTrail }", true),
        ("{ $.eventType = \"Update*\" }", true),
        ("{ $.eventType != \"UpdateTrail\" }", false),
        ("{ $.sourceIPAddress != 123.123.* }", false),
        ("{ $.arrayKey[0] = \"value\" }", true),
        ("{ $.arrayKey[1] = \"value\" }", false),
        ("{ $.objectList[1].id = 2 }", true),
        ("{ $.objectList[*].name = \"b\" }", true),
        ("{ $.SomeObject IS NULL }", true),
        ("{ $.cluster IS NULL }", false),
        ("{ $.SomeOtherObject NOT EXISTS }", true),
        ("{ $.cluster.size NOT EXISTS }", false),
        ("{ $.flag IS TRUE }", true),
        ("{ $.flag IS FALSE }", false),
        ("{ $.latency > 200 }", true),
        ("{ $.latency >= 250 && $.latency <= 250 }", true),
        ("{ $.latency < 100 || $.cluster.status = \"ok\" }", true),
        ("{ ($.latency < 100 || $.cluster.size = 5) && $.eventType = \"Nope\" }", false),
        ("{ $.cluster.size = 5.0 }", true),
    ])
    func jsonPatterns(_ p: String, _ want: Bool) throws {
        #expect(try m(p, Self.json) == want)
    }

    @Test func jsonPatternsNeedJSONMessages() throws {
        #expect(try m("{ $.a = 1 }", "not json") == false)
        #expect(try m("{ $.a = 1 }", "[1]") == false)
    }

    static let access = #"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534"#

    @Test(arguments: [
        ("[ip, user, username, timestamp, request, status_code, bytes]", true),
        ("[ip, user, username, timestamp, request, status_code = 404, bytes]", true),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]", true),
        ("[ip, user, username, timestamp, request, status_code = 2*, bytes]", false),
        ("[ip, user, ..., status_code = 404 || status_code = 410, bytes]", true),
        ("[ip = 127.0.0.1, ...]", true),
        ("[ip, user, username]", false),
        ("[..., bytes < 1000]", false),
        ("[ip, user, username, timestamp, request = *gif*, status_code, bytes]", true),
    ])
    func delimited(_ p: String, _ want: Bool) throws {
        #expect(try m(p, Self.access) == want)
    }

    @Test func extractsNamedFields() throws {
        let p = try FilterPattern.parse("[ip, user, username, timestamp, request, status_code, bytes]")
        let v = try #require(p.match(Self.access))
        #expect(v["$status_code"] == "404")
        #expect(v["$bytes"] == "1534")
        #expect(v["$timestamp"] == "10/Oct/2000:13:25:15 -0700")
        #expect(v["$request"] == "GET /apache_pb.gif HTTP/1.0")
        let j = try FilterPattern.parse("{ $.latency > 1 }")
        #expect(j.match(Self.json)?["$.latency"] == "250")
    }

    @Test(arguments: ["{ $.a = }", "{ $.a = 1", "[a, b", "\"unterminated", "{ a = 1 }", "{ $.a > \"x\" }", "[a,,b]", "{ $.a = 1 } x",
                      "-", "{ $.a ~ 1 }"])
    func invalid(_ p: String) {
        #expect(throws: FilterPattern.Invalid.self) { try FilterPattern.parse(p) }
    }
}
