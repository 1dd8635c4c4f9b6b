/// A SAML 2.0 identity provider and its metadata document.
struct SAMLProvider: Codable, Sendable, Equatable {
    var name: String
    var metadata: String
    var created: Double
    var validUntil: Double
    var tags: [IAMTag] = []

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):saml-provider/\(name)" }
}
