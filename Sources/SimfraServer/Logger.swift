import Foundation

/// Minimal leveled logging to stderr; stdout carries only the start line.
public struct Log: Sendable {
    let level: Config.LogLevel

    public init(level: Config.LogLevel) { self.level = level }

    public func callAsFunction(_ l: Config.LogLevel, _ message: @autoclosure () -> String) {
        guard l >= level else { return }
        FileHandle.standardError.write(Data("[\(l.rawValue)] \(message())\n".utf8))
    }
}
