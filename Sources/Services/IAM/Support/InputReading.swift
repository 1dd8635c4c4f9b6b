import SimfraCore

/// Typed reads of the decoded input (keyed by member names of the input shape).
extension Value {
    func string(_ key: String) -> String? { self[key]?.stringValue }

    func int(_ key: String) -> Int? {
        guard let v = self[key]?.intValue else { return nil }
        return Int(clamping: v)
    }

    func bool(_ key: String) -> Bool? { self[key]?.boolValue }

    func stringList(_ key: String) -> [String]? {
        self[key]?.listValue?.compactMap(\.stringValue)
    }

    /// A required member: the codec has already refused a request without it, so an absent
    /// one here only happens for internal callers; it reads as empty.
    func required(_ key: String) -> String { self[key]?.stringValue ?? "" }
}
