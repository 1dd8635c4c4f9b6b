import Synchronization

/// Request ids in AWS's UUID shape, cheap to make: a random 64-bit prefix fixed per process
/// and a counter, so no syscall or RNG call per request.
public final class RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private let counter = Atomic<UInt64>(0)

    public init() {
        var rng = SystemRandomNumberGenerator()
        prefix = rng.next()
    }

    public func next() -> String {
        Hex.uuid(high: prefix, low: counter.add(1, ordering: .relaxed).newValue)
    }
}
