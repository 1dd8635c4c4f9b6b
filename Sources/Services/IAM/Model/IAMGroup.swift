/// An IAM group. Members are recorded on the users (`IAMUser.groups`), so a user's record
/// alone says which groups' policies apply to it.
struct IAMGroup: Codable, Sendable, Equatable {
    var name: String
    var id: String
    var path: String
    var created: Double
    var policies = PolicyAttachments()

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):group\(path)\(name)" }
}
