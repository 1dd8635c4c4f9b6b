import Foundation
import Synchronization

/// One execution environment's side of the Lambda Runtime API, without the wire: the runtime
/// asks for the next invocation (a long poll), then posts its response or error for that
/// request id; an init failure is posted once. `submit` hands an invocation over and waits for
/// its outcome, which the runtime's post, the environment's death or a timeout supplies —
/// whichever comes first; later ones find nothing to complete.
final class RuntimeAPI: Sendable {
    struct Invocation: Sendable {
        var requestId: String
        var payload: [UInt8]
        var deadlineMs: Int64
        var functionArn: String
        var traceId: String
        var clientContext: String?

        /// The headers AWS sends with `invocation/next`.
        var headers: [(String, String)] {
            var h = [
                ("Lambda-Runtime-Aws-Request-Id", requestId), ("Lambda-Runtime-Deadline-Ms", String(deadlineMs)),
                ("Lambda-Runtime-Invoked-Function-Arn", functionArn), ("Lambda-Runtime-Trace-Id", traceId),
            ]
            if let c = clientContext { h.append(("Lambda-Runtime-Client-Context", c)) }
            return h
        }
    }

    enum Outcome: Sendable, Equatable {
        case response([UInt8])
        /// The runtime's error JSON and its `Lambda-Runtime-Function-Error-Type`.
        case error([UInt8], type: String?)
        case initError([UInt8])
        /// The runtime process ended while the invocation was in flight.
        case exited(Int32)
        case timedOut
    }

    private struct State {
        var queued: Invocation?
        var waiter: (@Sendable (Invocation) -> Void)?
        var current: (id: String, continuation: CheckedContinuation<Outcome, Never>)?
        var initError: [UInt8]?
    }

    private let state = Mutex(State())

    /// Delivers `invocation` to the runtime and waits for its outcome.
    func submit(_ invocation: Invocation) async -> Outcome {
        await withCheckedContinuation { (c: CheckedContinuation<Outcome, Never>) in
            let (deliver, early) = state.withLock { s -> ((@Sendable (Invocation) -> Void)?, [UInt8]?) in
                if let e = s.initError { return (nil, e) }
                s.current = (invocation.requestId, c)
                if let w = s.waiter {
                    s.waiter = nil
                    return (w, nil)
                }
                s.queued = invocation
                return (nil, nil)
            }
            if let early {
                c.resume(returning: .initError(early))
                return
            }
            deliver?(invocation)
        }
    }

    /// Completes the invocation in flight, if `requestId` (when given) names it. False when
    /// nothing matched (a late or unknown post).
    @discardableResult
    func complete(_ outcome: Outcome, requestId: String? = nil) -> Bool {
        let c = state.withLock { s -> CheckedContinuation<Outcome, Never>? in
            guard let cur = s.current, requestId == nil || requestId == cur.id else { return nil }
            s.current = nil
            s.queued = nil
            return cur.continuation
        }
        c?.resume(returning: outcome)
        return c != nil
    }

    // MARK: The runtime's calls

    /// `GET /runtime/invocation/next`: answered now if an invocation waits, else when one comes.
    func next(_ deliver: @escaping @Sendable (Invocation) -> Void) {
        let ready = state.withLock { s -> Invocation? in
            if let q = s.queued {
                s.queued = nil
                return q
            }
            s.waiter = deliver
            return nil
        }
        if let ready { deliver(ready) }
    }

    /// `POST /runtime/init/error`: every invocation, current and later, fails with it.
    func initFailed(_ body: [UInt8]) {
        state.withLock { $0.initError = body }
        complete(.initError(body))
    }
}
