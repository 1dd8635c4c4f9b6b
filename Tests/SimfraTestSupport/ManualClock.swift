import SimfraCore
import Synchronization

/// A clock tests move by hand: deletion windows, rotations and expiries happen when a test
/// says time has passed, not when the machine's clock does.
public final class ManualClock: SimfraClock {
    private let t: Mutex<Double>

    public init(_ start: Double = 1_700_000_000) { t = Mutex(start) }

    public func now() -> Double { t.withLock { $0 } }

    public func advance(_ seconds: Double) { t.withLock { $0 += seconds } }
}
