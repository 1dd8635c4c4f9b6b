import SimfraCore

/// A tag on an IAM entity. IAM keeps tags in the order they were added; keys are unique
/// ignoring case (a second `Team` replaces `team`'s value).
struct IAMTag: Codable, Sendable, Equatable {
    var key: String
    var value: String

    var value_: Value { ["Key": .string(key), "Value": .string(value)] }
}

extension [IAMTag] {
    var dictionary: [String: String] {
        var d: [String: String] = [:]
        for t in self { d[t.key] = t.value }
        return d
    }

    var values: Value { .list(map(\.value_)) }
}
