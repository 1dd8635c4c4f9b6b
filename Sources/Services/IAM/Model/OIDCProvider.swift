/// An OpenID Connect identity provider, keyed by its URL without `https://`.
struct OIDCProvider: Codable, Sendable, Equatable {
    var url: String
    var clientIds: [String]
    var thumbprints: [String]
    var created: Double
    var tags: [IAMTag] = []

    func arn(_ account: String) -> String { "arn:aws:iam::\(account):oidc-provider/\(url)" }
}
