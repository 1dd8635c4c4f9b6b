/// The identity policies of a user, group or role: inline documents by name (sorted, as
/// List*Policies answers) and attached managed policy ARNs in attachment order.
struct PolicyAttachments: Codable, Sendable, Equatable {
    var inline: [String: String] = [:]
    var attached: [String] = []

    var isEmpty: Bool { inline.isEmpty && attached.isEmpty }
}
