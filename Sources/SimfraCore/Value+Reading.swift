/// Typed reads of a decoded input, keyed by member names of the input shape. The codec has
/// already validated types against the model, so a member of the wrong type only comes from an
/// internal caller, and reads as absent.
extension Value {
    public func string(_ key: String) -> String? { self[key]?.stringValue }

    public func int(_ key: String) -> Int? {
        guard let v = self[key]?.intValue else { return nil }
        return Int(clamping: v)
    }

    public func bool(_ key: String) -> Bool? { self[key]?.boolValue }

    public func blob(_ key: String) -> [UInt8]? {
        if case .blob(let b)? = self[key] { return b }
        return nil
    }

    public func stringList(_ key: String) -> [String]? {
        self[key]?.listValue?.compactMap(\.stringValue)
    }

    /// A map of strings (tags, attributes, encryption contexts); non-string values are skipped.
    public func stringMap(_ key: String) -> [String: String]? {
        guard let o = self[key]?.objectValue else { return nil }
        var out: [String: String] = [:]
        for (k, v) in o {
            if let s = v.stringValue { out[k] = s }
        }
        return out
    }
}
