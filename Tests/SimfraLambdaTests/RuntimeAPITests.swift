import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraLambda

/// The Runtime API exchange without the wire: next → response/error, a waiting runtime, late
/// and unknown posts, init errors.
@Suite struct RuntimeAPITests {
    func invocation(_ id: String) -> RuntimeAPI.Invocation {
        RuntimeAPI.Invocation(requestId: id, payload: Array("{}".utf8), deadlineMs: 0, functionArn: "arn", traceId: "t",
                              clientContext: nil)
    }

    @Test func queuedThenTaken() async {
        let api = RuntimeAPI()
        async let outcome = api.submit(invocation("a"))
        // The runtime asks after the invocation arrived: it gets it at once.
        try? await Task.sleep(nanoseconds: 10_000_000)
        let got = Mutex<String?>(nil)
        api.next { inv in got.withLock { $0 = inv.requestId } }
        #expect(got.withLock { $0 } == "a")
        #expect(inv("a", headers: invocation("a").headers))
        #expect(!api.complete(.response([1]), requestId: "other"))
        #expect(api.complete(.response(Array("42".utf8)), requestId: "a"))
        #expect(await outcome == .response(Array("42".utf8)))
        // A late post finds nothing in flight.
        #expect(!api.complete(.response([]), requestId: "a"))
    }

    func inv(_ id: String, headers: [(String, String)]) -> Bool {
        headers.contains { $0 == ("Lambda-Runtime-Aws-Request-Id", id) } && headers.contains { $0.0 == "Lambda-Runtime-Deadline-Ms" }
    }

    @Test func waitingRuntimeGetsTheNextInvocation() async {
        let api = RuntimeAPI()
        let got = Mutex<String?>(nil)
        api.next { inv in
            got.withLock { $0 = inv.requestId }
            api.complete(.error(Array("{}".utf8), type: "Unhandled"), requestId: inv.requestId)
        }
        let outcome = await api.submit(invocation("b"))
        #expect(got.withLock { $0 } == "b")
        #expect(outcome == .error(Array("{}".utf8), type: "Unhandled"))
    }

    @Test func initErrorFailsEveryInvocation() async {
        let api = RuntimeAPI()
        api.initFailed(Array("boom".utf8))
        #expect(await api.submit(invocation("c")) == .initError(Array("boom".utf8)))
    }
}

/// Idle environments are recycled after `idleLimit`, measured on the service's clock.
@Suite struct IdleRecyclingTests {
    @Test func idleEnvironmentsAreStoppedAfterTheLimit() async throws {
        let clock = ManualClock(1_000)
        let s = try LambdaService(records: InMemoryRecords(), clock: clock)
        let env = try await ExecutionEnvironment.start(
            poolKey: "k", logStream: "s", command: ["/bin/sleep", "60"], workingDirectory: "/tmp", environment: [:])
        s.putIdle(env, versionArn: "arn:fn")
        s.reapIdle(now: 1_000 + LambdaService.idleLimit - 1)
        #expect(env.isAlive)
        s.reapIdle(now: 1_000 + LambdaService.idleLimit)
        #expect(!env.isAlive)
        #expect(s.takeIdle(versionArn: "arn:fn", poolKey: "k") == nil)
    }
}

@Suite struct AsyncRetryPolicyTests {
    @Test func twoRetriesAMinuteThenTwoApartWithinTheEventAge() {
        let p = AsyncRetryPolicy()
        #expect(p.delay(afterFailedAttempts: 1, age: 0) == 60)
        #expect(p.delay(afterFailedAttempts: 2, age: 61) == 120)
        #expect(p.delay(afterFailedAttempts: 3, age: 200) == nil)
        var short = AsyncRetryPolicy()
        short.maximumEventAgeInSeconds = 100
        #expect(short.delay(afterFailedAttempts: 1, age: 30) == 60)
        #expect(short.delay(afterFailedAttempts: 1, age: 50) == nil)
        short.maximumRetryAttempts = 0
        #expect(short.delay(afterFailedAttempts: 1, age: 0) == nil)
    }
}
