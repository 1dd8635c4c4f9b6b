import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// Reading policy documents: JSON through the project's depth-limited reader, then the
/// engine's validation, which speaks IAM's MalformedPolicyDocument wording.
enum PolicyDocuments {
    static let invalidJSON = "This policy contains invalid Json"

    static func parse(_ document: String, kind: Policy.Kind) throws(AWSError) -> Policy {
        let value: Value
        do {
            value = try JSONReader.parse(Array(document.utf8))
        } catch {
            throw IAMError.malformedPolicy(invalidJSON)
        }
        do {
            return try Policy(parsing: value, kind: kind)
        } catch {
            throw error.awsError()
        }
    }

    /// The document as a client sent it, made plain JSON (a few tools percent-encode it).
    static func normalized(_ raw: String) -> String { PercentEncoding.decodeIfEncoded(raw) }
}
