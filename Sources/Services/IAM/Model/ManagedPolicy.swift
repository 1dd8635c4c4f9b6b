/// A customer-managed policy and its versions (at most five).
struct ManagedPolicy: Codable, Sendable, Equatable {
    struct Version: Codable, Sendable, Equatable {
        var id: String
        var document: String
        var created: Double
    }

    var name: String
    var id: String
    var path: String
    var description: String?
    var created: Double
    var updated: Double
    var versions: [Version]
    var defaultVersionId: String
    /// The number the next version gets (`v<n>`); never reused after a version is deleted.
    var nextVersion: Int
    var tags: [IAMTag] = []

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):policy\(path)\(name)" }

    var defaultVersion: Version? { versions.first { $0.id == defaultVersionId } }
}
