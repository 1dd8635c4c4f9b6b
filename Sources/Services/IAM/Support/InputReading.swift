import SimfraCore

/// IAM-shaped reads of the decoded input (the common ones are in SimfraCore).
extension Value {
    /// A required member: the codec has already refused a request without it, so an absent
    /// one here only happens for internal callers; it reads as empty.
    func required(_ key: String) -> String { self[key]?.stringValue ?? "" }
}
