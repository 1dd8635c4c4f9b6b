import Foundation
import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraEvents

/// Archives keep the events their pattern matches, durably and within retention; replays send
/// a time range of them again with `replay-name`, to the bus's rules or only the filtered ones.
@Suite struct ArchiveTests {
    let t0 = 1_700_000_000.0
    let bus = "arn:aws:events:us-east-1:000000000000:event-bus/default"

    func put(_ s: EventBridgeService, _ source: String) async throws {
        try await T.call(s, "PutEvents", ["Entries": [["Source": .string(source), "DetailType": "t", "Detail": "{}"]]])
    }

    @Test func archiveKeepsMatchingEventsDurably() async throws {
        let records = InMemoryRecords()
        let clock = ManualClock(t0)
        let s = EventBridgeService(records: records, clock: clock, firesOnItsOwn: false)
        try await T.call(s, "CreateArchive", ["ArchiveName": "a", "EventSourceArn": .string(bus),
                                              "EventPattern": #"{"source":["keep"]}"#, "RetentionDays": 1])
        #expect(await T.error(s, "CreateArchive", ["ArchiveName": "a", "EventSourceArn": .string(bus)])?.message
            == "Archive a already exists.")
        #expect(await T.error(s, "CreateArchive", ["ArchiveName": "b", "EventSourceArn": "arn:aws:events:us-east-1:000000000000:event-bus/nope"])?.message
            == "Event bus nope does not exist.")
        try await put(s, "keep")
        try await put(s, "drop")
        #expect(try await T.call(s, "DescribeArchive", ["ArchiveName": "a"]).int("EventCount") == 1)
        let restored = EventBridgeService(records: records, clock: clock, firesOnItsOwn: false)
        try restored.restore()
        #expect(try await T.call(restored, "DescribeArchive", ["ArchiveName": "a"]).int("EventCount") == 1)
        // A day and more later the first event has expired; the next arrival drops it.
        clock.advance(86_401)
        try await put(restored, "keep")
        #expect(try await T.call(restored, "DescribeArchive", ["ArchiveName": "a"]).int("EventCount") == 1)
        #expect(await T.error(s, "UpdateArchive", ["ArchiveName": "a"])?.message
            == "At least one of EventPattern, RetentionDays or Description must be provided.")
        try await T.call(restored, "DeleteArchive", ["ArchiveName": "a"])
        #expect(records.count == 0)
    }

    @Test func replaySendsTheRangeAgain() async throws {
        let clock = ManualClock(t0)
        let s = EventBridgeService(clock: clock, firesOnItsOwn: false)
        let invoker = RecordingInvoker()
        s.invoker.connect(invoker)
        let archive = try await T.call(s, "CreateArchive", ["ArchiveName": "a", "EventSourceArn": .string(bus)])
            .string("ArchiveArn")!
        try await T.call(s, "PutRule", ["Name": "all", "EventPattern": #"{"source":["one","two"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "all", "Targets": [["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]]])
        try await put(s, "one")
        clock.advance(100)
        try await put(s, "two")
        for _ in 0..<200 where invoker.recorded.count < 2 { try? await Task.sleep(nanoseconds: 5_000_000) }
        #expect(await T.error(s, "StartReplay", ["ReplayName": "r", "EventSourceArn": .string(archive),
                                                 "EventStartTime": .timestamp(t0 + 10), "EventEndTime": .timestamp(t0),
                                                 "Destination": ["Arn": .string(bus)]])?.message
            == "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
        let out = try await T.call(s, "StartReplay", ["ReplayName": "r", "EventSourceArn": .string(archive),
                                                      "EventStartTime": .timestamp(t0 + 50), "EventEndTime": .timestamp(t0 + 200),
                                                      "Destination": ["Arn": .string(bus)]])
        #expect(out.string("State") == "STARTING")
        for _ in 0..<200 where try await T.call(s, "DescribeReplay", ["ReplayName": "r"]).string("State") != "COMPLETED" {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        let events = invoker.recorded.compactMap { $0.input.string("MessageBody") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.count == 3)
        let replayed = events.filter { $0["replay-name"] as? String == "r" }
        #expect(replayed.count == 1 && replayed.first?["source"] as? String == "two")
        #expect(await T.error(s, "StartReplay", ["ReplayName": "r", "EventSourceArn": .string(archive),
                                                 "EventStartTime": .timestamp(t0), "EventEndTime": .timestamp(t0 + 1),
                                                 "Destination": ["Arn": .string(bus)]])?.message == "Replay r already exists.")
        #expect(await T.error(s, "StartReplay", ["ReplayName": "x", "EventSourceArn": "arn:aws:events:us-east-1:000000000000:archive/none",
                                                 "EventStartTime": .timestamp(t0), "EventEndTime": .timestamp(t0 + 1),
                                                 "Destination": ["Arn": .string(bus)]])?.message
            == "Parameter EventSourceArn is not valid. Reason: Archive none does not exist.")
    }
}
