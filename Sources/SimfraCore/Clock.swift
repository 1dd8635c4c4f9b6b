import Foundation

/// Time source injected into state machines so they can be tested without waiting.
public protocol SimfraClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}

public struct SystemClock: SimfraClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}
