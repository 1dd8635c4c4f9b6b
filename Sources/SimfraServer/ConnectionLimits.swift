#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

/// How many connections may be open at once, and the open-file limit that bounds it.
///
/// Every connection holds a socket, and an S3 upload or download one more descriptor (its temp
/// or body file). Past the process's open-file limit `accept` fails with EMFILE; NIO then backs
/// off for a second, but the clients see stalls. So connections over a cap below that limit are
/// accepted, answered 503 `SlowDown` at once and closed: the client retries, the server stays up.
final class ConnectionLimits: Sendable {
    let cap: Int
    private let open = Atomic<Int>(0)

    init(cap: Int) { self.cap = cap }

    /// Counts a new connection; false when it is over the cap (it is still counted until it
    /// closes, since it holds a descriptor until then).
    func admit() -> Bool {
        open.add(1, ordering: .relaxed).newValue <= cap
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    var current: Int { open.load(ordering: .relaxed) }

    /// Descriptors kept for the database, its WAL, the event loops, logs and the listener.
    static let reservedDescriptors = 64

    /// Two descriptors per connection (socket + body file) within the limit, at least 16.
    static func defaultCap(openFileLimit: Int) -> Int {
        max(16, (openFileLimit - reservedDescriptors) / 2)
    }

    /// The most a configured cap may be: the default. Running out of descriptors is not only
    /// slow (accept fails) but fatal: libdispatch, which Swift's `Task.sleep` uses, traps when
    /// it cannot open a file. More connections need a higher open-file limit.
    static func mostConnections(openFileLimit: Int) -> Int {
        defaultCap(openFileLimit: openFileLimit)
    }

    /// Connections over the cap that may be in their refusal (answer, close) at once, within
    /// the reserve; past it the listener pauses.
    static let refusalSlack = 32

    /// Stops accepting on `listener` for 50 ms.
    static func pauseAccepting(_ listener: any Channel) {
        listener.setOption(.autoRead, value: false).whenComplete { _ in
            listener.eventLoop.scheduleTask(in: .milliseconds(50)) {
                listener.setOption(.autoRead, value: true).whenComplete { _ in }
            }
        }
    }

    /// Raises the soft open-file limit to the hard one (the common soft default of 1,024 is far
    /// below what a busy local cloud needs) and returns the limit now in force.
    @discardableResult
    static func raiseOpenFileLimit() -> Int {
        var rl = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0 else { return 1024 }
        if rl.rlim_cur < rl.rlim_max {
            var raised = rl
            // An unlimited hard limit is not a valid soft one on Linux (nr_open caps it).
            raised.rlim_cur = rl.rlim_max == rlim_t.max ? 1 << 20 : rl.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                rl = raised
            } else if rl.rlim_max == rlim_t.max {
                raised.rlim_cur = 65536
                if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { rl = raised }
            }
        }
        return rl.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: rl.rlim_cur)
    }
}

/// Request heads seen, counted relaxed (one atomic add per request); the memory trimmer reads
/// it to notice that the server went quiet.
final class RequestCounter: Sendable {
    private let count = Atomic<Int>(0)

    init() {}

    func increment() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
