import SimfraCore
import SimfraProtocols
import SimfraTestSupport
import Testing

@testable import SimfraLogs

/// Live Tail: the event-stream framing, what a session takes and how updates are cut, and a
/// session driven through the service with a short update interval and a manual clock.
@Suite struct LiveTailTests {
    /// Decodes one frame, checking both CRCs: (headers, payload, bytes used).
    static func decode(_ b: [UInt8]) throws -> ([String: String], String, Int) {
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        let total = be32(0), headersLength = be32(4)
        #expect(UInt32(be32(8)) == CRC32.checksum(Array(b[0..<8])))
        #expect(UInt32(be32(total - 4)) == CRC32.checksum(Array(b[0..<(total - 4)])))
        var headers: [String: String] = [:]
        var i = 12
        while i < 12 + headersLength {
            let n = Int(b[i]); i += 1
            let name = String(decoding: b[i..<(i + n)], as: UTF8.self); i += n
            #expect(b[i] == 7); i += 1
            let len = Int(b[i]) << 8 | Int(b[i + 1]); i += 2
            headers[name] = String(decoding: b[i..<(i + len)], as: UTF8.self); i += len
        }
        return (headers, String(decoding: b[(12 + headersLength)..<(total - 4)], as: UTF8.self), total)
    }

    static func frames(_ bytes: [UInt8]) throws -> [([String: String], String)] {
        var out: [([String: String], String)] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let (h, p, used) = try decode(Array(rest))
            out.append((h, p))
            rest = rest.dropFirst(used)
        }
        return out
    }

    @Test func framesCarryPreludeHeadersPayloadAndCRCs() throws {
        let f = EventStreamFrame.event("sessionUpdate", json: #"{"a":1}"#)
        let (h, p, used) = try Self.decode(f)
        #expect(used == f.count)
        #expect(h == [":event-type": "sessionUpdate", ":content-type": "application/json", ":message-type": "event"])
        #expect(p == #"{"a":1}"#)
        let x = try Self.decode(EventStreamFrame.exception("SessionTimeoutException", message: "gone \"now\""))
        #expect(x.0[":message-type"] == "exception")
        #expect(x.0[":exception-type"] == "SessionTimeoutException")
        #expect(x.1 == #"{"message":"gone \"now\""}"#)
    }

    func session(names: Set<String>? = nil, prefixes: [String]? = nil, pattern: String = "") throws -> LiveTailSession {
        LiveTailSession(account: "1", region: "r", groups: ["g": "arn:g"], streamNames: names, streamPrefixes: prefixes,
                        matcher: try FilterPattern.parse(pattern).matcher)
    }

    func events(_ messages: [String]) -> [LogEvent] {
        messages.enumerated().map { LogEvent(timestamp: Int64($0.offset), ingestionTime: 9, message: $0.element, batch: 0, sequence: Int64($0.offset)) }
    }

    @Test func sessionsTakeTheirGroupsStreamsAndPattern() throws {
        let s = try session(prefixes: ["web-"])
        #expect(s.wants(account: "1", region: "r", group: "g", stream: "web-1"))
        #expect(!s.wants(account: "1", region: "r", group: "g", stream: "worker"))
        #expect(!s.wants(account: "2", region: "r", group: "g", stream: "web-1"))
        #expect(!s.wants(account: "1", region: "r", group: "h", stream: "web-1"))
        let n = try session(names: ["a"])
        #expect(n.wants(account: "1", region: "r", group: "g", stream: "a"))
        #expect(!n.wants(account: "1", region: "r", group: "g", stream: "ab"))
        var p = try session(pattern: "ERROR")
        p.offer(group: "g", stream: "s", events(["ERROR x", "INFO y", "ERROR z"]))
        let (got, sampled) = p.takeUpdate()
        #expect(got.map(\.message) == ["ERROR x", "ERROR z"])
        #expect(!sampled)
        #expect(p.takeUpdate().events.isEmpty)
        #expect(p.updateJSON(got, sampled: false)
            == #"{"sessionMetadata":{"sampled":false},"sessionResults":[{"logStreamName":"s","logGroupIdentifier":"arn:g","message":"ERROR x","timestamp":0,"ingestionTime":9},{"logStreamName":"s","logGroupIdentifier":"arn:g","message":"ERROR z","timestamp":2,"ingestionTime":9}]}"#)
    }

    @Test func updatesAreSampledTo500AndTheBufferKeepsTheNewest5000() throws {
        var s = try session()
        s.offer(group: "g", stream: "s", events((0..<1200).map { "m\($0)" }))
        let (got, sampled) = s.takeUpdate()
        #expect(sampled)
        #expect(got.count == 500)
        #expect(got.first?.message == "m0")
        #expect(got.map(\.timestamp) == got.map(\.timestamp).sorted())
        s.offer(group: "g", stream: "s", events((0..<6000).map { "n\($0)" }))
        #expect(s.pending.count == 5000)
        #expect(s.pending.first?.message == "n1000")
    }

    @Test func aSessionThroughTheService() async throws {
        let clock = ManualClock(1_700_000_000)
        let svc = LogsService(records: InMemoryRecords(), clock: clock, liveTailInterval: .milliseconds(20))
        let h = Harness()
        try await h.call("CreateLogGroup", ["logGroupName": "g"], on: svc)
        try await h.call("CreateLogStream", ["logGroupName": "g", "logStreamName": "s"], on: svc)
        let out = try await svc.handleStreamingOutput(
            operation: "StartLiveTail", input: ["logGroupIdentifiers": ["arn:aws:logs:us-east-1:000000000000:log-group:g"],
                                                "logEventFilterPattern": "ERROR"], context: Harness.ctx)
        let body = try #require(out.body)
        #expect(body.length < 0)
        let opening = try Self.frames(try #require(try await body.next()))
        #expect(opening.map { $0.0[":event-type"] } == ["initial-response", "sessionStart"])
        #expect(opening[1].1.contains(#""logGroupIdentifiers":["arn:aws:logs:us-east-1:000000000000:log-group:g"]"#))
        #expect(svc.liveTail.count == 1)
        try await h.call("PutLogEvents", ["logGroupName": "g", "logStreamName": "s",
                                          "logEvents": [["timestamp": .integer(1_700_000_000_000), "message": "ERROR boom"],
                                                        ["timestamp": .integer(1_700_000_000_001), "message": "fine"]]], on: svc)
        let update = try Self.frames(try #require(try await body.next()))
        #expect(update[0].0[":event-type"] == "sessionUpdate")
        #expect(update[0].1.contains(#""message":"ERROR boom""#))
        #expect(!update[0].1.contains("fine"))
        let empty = try Self.frames(try #require(try await body.next()))
        #expect(empty[0].1 == #"{"sessionMetadata":{"sampled":false},"sessionResults":[]}"#)
        clock.advance(3 * 3600)
        let end = try Self.frames(try #require(try await body.next()))
        #expect(end[0].0[":exception-type"] == "SessionTimeoutException")
        #expect(try await body.next() == nil)
        #expect(svc.liveTail.count == 0)
    }

    @Test func droppingTheBodyEndsTheSession() async throws {
        let svc = LogsService(records: InMemoryRecords(), clock: ManualClock(1_700_000_000))
        let h = Harness()
        try await h.call("CreateLogGroup", ["logGroupName": "g"], on: svc)
        do {
            let out = try await svc.handleStreamingOutput(operation: "StartLiveTail", input: ["logGroupIdentifiers": ["g"]],
                                                          context: Harness.ctx)
            #expect(out.body != nil)
            #expect(svc.liveTail.count == 1)
        }
        #expect(svc.liveTail.count == 0)
        await #expect(throws: AWSError.self) {
            _ = try await svc.handleStreamingOutput(operation: "StartLiveTail", input: ["logGroupIdentifiers": ["nope"]],
                                                    context: Harness.ctx)
        }
    }
}
