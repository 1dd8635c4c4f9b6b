/// An EC2 instance profile: a container for at most one role (by name).
struct InstanceProfile: Codable, Sendable, Equatable {
    var name: String
    var id: String
    var path: String
    var created: Double
    var roles: [String] = []
    var tags: [IAMTag] = []

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):instance-profile\(path)\(name)" }
}
