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

    func blob(_ key: String) -> [UInt8]? {
        if case .blob(let b)? = self[key] { return b }
        return nil
    }
}
