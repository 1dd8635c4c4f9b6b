import SimfraCore
import SimfraProtocols

/// The claims of an OpenID Connect ID token (a JWT: base64url header.payload.signature).
///
/// The signature is NOT verified: that needs the provider's signing keys from its JWKS URL
/// over the network, which a local cloud must not depend on. Issuer, audience, subject and
/// expiry are read and enforced; anyone who can write a token can therefore assume a role
/// whose trust policy accepts it, so Simfra is not a security boundary for web identity.
struct WebIdentityToken {
    var issuer: String
    var subject: String
    var audiences: [String]
    var expiration: Double?
    /// `amr` claim values (Cognito's authenticated/unauthenticated markers).
    var amr: [String]

    static let invalidMessage =
        "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."

    static func invalid(_ message: String = invalidMessage) -> AWSError {
        AWSError(code: "InvalidIdentityToken", message: message, status: 400)
    }

    init(parsing token: String) throws(AWSError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.decodeSegment(parts[0]), let payload = Self.decodeSegment(parts[1]),
            case .object = header
        else { throw Self.invalid() }
        guard let iss = payload["iss"]?.stringValue, !iss.isEmpty else { throw Self.invalid() }
        issuer = iss
        subject = payload["sub"]?.stringValue ?? ""
        switch payload["aud"] {
        case .string(let s)?: audiences = [s]
        case .list(let l)?: audiences = l.compactMap(\.stringValue)
        default: audiences = []
        }
        expiration = payload["exp"]?.doubleValue
        switch payload["amr"] {
        case .string(let s)?: amr = [s]
        case .list(let l)?: amr = l.compactMap(\.stringValue)
        default: amr = []
        }
    }

    /// The issuer as IAM names its provider: without `https://`, no trailing slash.
    var providerKey: String {
        var s = issuer
        if s.hasPrefix("https://") { s.removeFirst(8) }
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// Identity providers AWS trusts without an IAM OIDC provider (`Federated` names them
    /// directly in trust policies).
    static let wellKnownProviders: Set<String> = [
        "accounts.google.com", "cognito-identity.amazonaws.com", "graph.facebook.com", "www.amazon.com",
    ]

    static func decodeSegment(_ s: Substring) -> Value? {
        var b64 = ""
        b64.reserveCapacity(s.utf8.count + 3)
        for c in s {
            switch c {
            case "-": b64.append("+")
            case "_": b64.append("/")
            case "=": continue
            default: b64.append(c)
            }
        }
        while b64.utf8.count % 4 != 0 { b64.append("=") }
        guard let bytes = Base64.decode(b64), case .object(let o)? = try? JSONReader.parse(bytes) else { return nil }
        return .object(o)
    }
}
