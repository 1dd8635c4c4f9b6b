import SimfraCore

/// Typed reads of the decoded input (keyed by member names of the input shape).
extension Value {
    func string(_ key: String) -> String? { self[key]?.stringValue }

    func int(_ key: String) -> Int? {
        guard let v = self[key]?.intValue else { return nil }
        return Int(clamping: v)
    }

    func stringList(_ key: String) -> [String]? {
        self[key]?.listValue?.compactMap(\.stringValue)
    }

    func stringMap(_ key: String) -> [String: String]? {
        guard let o = self[key]?.objectValue else { return nil }
        var out: [String: String] = [:]
        for (k, v) in o {
            if let s = v.stringValue { out[k] = s }
        }
        return out
    }
}

/// Input members Simfra adds in `prepareInput` to carry what model validation would
/// otherwise reject before the handler could answer with SQS's own error.
enum HiddenInput {
    /// Attribute names outside the model's enum (SQS answers `InvalidAttributeName`).
    static let unknownAttributeNames = "x-simfra-unknown-attribute-names"
}
