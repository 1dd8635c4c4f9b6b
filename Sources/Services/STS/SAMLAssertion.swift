import Crypto
import SimfraCore
import SimfraProtocols

/// What STS reads from a base64 SAML 2.0 response: issuer, subject, audience, validity and
/// the AWS attributes (`…/SAML/Attributes/Role`, `RoleSessionName`, `SessionDuration`,
/// `SourceIdentity`, `PrincipalTag:*`). Parsed with the project's bounded XML reader (no DTDs,
/// no entities). As with web identity, the XML signature is not verified against the
/// provider's metadata certificate.
struct SAMLAssertion {
    var issuer: String
    var subject: String
    /// The NameID Format URI.
    var subjectFormat: String?
    var audiences: [String]
    var notOnOrAfter: Double?
    /// (role ARN, provider ARN) pairs from the Role attribute.
    var roles: [(role: String, provider: String)]
    var sessionName: String?
    var sessionDuration: Int?
    var sourceIdentity: String?
    var principalTags: [String: String]
    var transitiveTagKeys: [String]

    static let attributePrefix = "https://aws.amazon.com/SAML/Attributes/"

    init(base64 assertion: String) throws(AWSError) {
        let compact = assertion.filter { !$0.isWhitespace }
        guard let xml = Base64.decode(compact), let root = try? XMLReader.parse(xml) else {
            throw AWSError(code: "InvalidIdentityToken", message: "Invalid base64 SAMLResponse", status: 400)
        }
        let a: XMLElement
        if root.name == "Assertion" {
            a = root
        } else if let inner = root.child("Assertion") {
            a = inner
        } else {
            throw AWSError(code: "InvalidIdentityToken", message: "Invalid SAMLResponse: no Assertion", status: 400)
        }
        issuer = Self.trim(a.child("Issuer")?.text ?? root.child("Issuer")?.text ?? "")
        let nameId = a.child("Subject")?.child("NameID")
        subject = Self.trim(nameId?.text ?? "")
        subjectFormat = nameId?.attributes["Format"]
        let conditions = a.child("Conditions")
        audiences = (conditions?.children("AudienceRestriction") ?? []).flatMap { $0.children("Audience") }
            .map { Self.trim($0.text) }
        notOnOrAfter = conditions?.attributes["NotOnOrAfter"].flatMap(Timestamp.parseISO8601)
        roles = []
        principalTags = [:]
        transitiveTagKeys = []
        for statement in a.children("AttributeStatement") {
            for attr in statement.children("Attribute") {
                let name = attr.attributes["Name"] ?? ""
                let values = attr.children("AttributeValue").map { Self.trim($0.text) }
                guard name.hasPrefix(Self.attributePrefix) else { continue }
                let key = String(name.dropFirst(Self.attributePrefix.count))
                switch key {
                case "Role":
                    for v in values {
                        let pair = v.split(separator: ",").map { Self.trim(String($0)) }
                        guard pair.count == 2 else { continue }
                        // Either order: the provider is the `saml-provider/` ARN.
                        if pair[0].contains(":saml-provider/") { roles.append((pair[1], pair[0])) } else { roles.append((pair[0], pair[1])) }
                    }
                case "RoleSessionName": sessionName = values.first
                case "SessionDuration": sessionDuration = values.first.flatMap { Int($0) }
                case "SourceIdentity": sourceIdentity = values.first
                case "TransitiveTagKeys": transitiveTagKeys = values
                default:
                    if key.hasPrefix("PrincipalTag:"), let v = values.first {
                        principalTags[String(key.dropFirst("PrincipalTag:".count))] = v
                    }
                }
            }
        }
    }

    /// `SubjectType`: `persistent`/`transient` for those formats, else the format URI.
    var subjectType: String {
        guard let f = subjectFormat else { return "unspecified" }
        if f == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" { return "persistent" }
        if f == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" { return "transient" }
        return f
    }

    /// AWS's `NameQualifier`: base64 of SHA-1 over issuer, account id and `/` + provider name.
    static func nameQualifier(issuer: String, account: String, providerArn: String) -> String {
        let providerName = providerArn.split(separator: "/").last.map(String.init) ?? providerArn
        let digest = Insecure.SHA1.hash(data: Array((issuer + account + "/" + providerName).utf8))
        return Base64.encode(Array(digest))
    }

    static func trim(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f.isWhitespace { t.removeFirst() }
        while let l = t.last, l.isWhitespace { t.removeLast() }
        return String(t)
    }
}
