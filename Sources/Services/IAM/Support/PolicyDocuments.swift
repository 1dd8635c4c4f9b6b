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

    /// IAM counts a document's size without whitespace.
    static func size(_ document: String) -> Int {
        document.utf8.count { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    }

    /// Inline policy quotas: 2048 for users, 5120 for groups, 10240 for roles.
    static func checkInlineSize(_ document: String, _ kind: EntityKind, _ entity: String) throws(AWSError) {
        let limit: Int
        switch kind {
        case .user: limit = 2048
        case .group: limit = 5120
        case .role: limit = 10240
        }
        if size(document) > limit {
            throw IAMError.limitExceeded("Maximum policy size of \(limit) bytes exceeded for \(kind.word) \(entity)")
        }
    }

    static func checkManagedSize(_ document: String) throws(AWSError) {
        if size(document) > 6144 { throw IAMError.limitExceeded("Cannot exceed quota for PolicySize: 6144") }
    }

    static func checkTrustSize(_ document: String) throws(AWSError) {
        if size(document) > 2048 { throw IAMError.limitExceeded("Cannot exceed quota for ACLSizePerRole: 2048") }
    }

    /// The document as a client sent it, made plain JSON (a few tools percent-encode it).
    static func normalized(_ raw: String) -> String { PercentEncoding.decodeIfEncoded(raw) }
}
