/// An IAM user with everything hanging off it: keys, password, policies, group names.
struct IAMUser: Codable, Sendable, Equatable {
    var name: String
    var id: String
    var path: String
    var created: Double
    var tags: [IAMTag] = []
    var policies = PolicyAttachments()
    /// Names of the groups the user belongs to, in the order it joined them.
    var groups: [String] = []
    var permissionsBoundary: String?
    var accessKeys: [AccessKey] = []
    var loginProfile: LoginProfile?

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):user\(path)\(name)" }
}
