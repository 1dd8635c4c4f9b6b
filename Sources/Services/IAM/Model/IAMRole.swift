/// An IAM role, service-linked roles included.
struct IAMRole: Codable, Sendable, Equatable {
    var name: String
    var id: String
    var path: String
    var created: Double
    var trustPolicy: String
    var description: String?
    var maxSessionDuration: Int = 3600
    var tags: [IAMTag] = []
    var policies = PolicyAttachments()
    var permissionsBoundary: String?
    /// Set for roles made by CreateServiceLinkedRole (only DeleteServiceLinkedRole removes them).
    var serviceLinked: Bool = false

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):role\(path)\(name)" }
}
