/// An IAM user's access key. The secret is held in memory in plain text (signing needs it)
/// and sealed whenever the user's record is written.
struct AccessKey: Codable, Sendable, Equatable {
    var id: String
    var secret: String
    /// "Active" or "Inactive".
    var status: String
    var created: Double

    var isActive: Bool { status == "Active" }
}
