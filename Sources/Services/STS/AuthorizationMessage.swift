import SimfraCore
import SimfraProtocols

/// The details of a denial that AWS hides in an encoded message (`Encoded authorization
/// failure message: …`) and `sts:DecodeAuthorizationMessage` reveals to a caller allowed to
/// see them. The decoded form is AWS's JSON: `allowed`, `explicitDeny`, `matchedStatements`,
/// `failures`, `context {principal, action, resource, conditions}`.
///
/// The encoding is Simfra's own (AWS's is an undocumented encrypted blob): a version byte and
/// the JSON, base64url. Opaque to clients, which only pass it back.
package struct AuthorizationMessage: Sendable, Equatable {
    package struct Statement: Sendable, Equatable {
        package var statementId: String
        package var effect: String
        package init(statementId: String, effect: String) {
            self.statementId = statementId
            self.effect = effect
        }
    }

    package var allowed: Bool
    package var explicitDeny: Bool
    package var matchedStatements: [Statement]
    package var failures: [String]
    package var principalId: String
    package var principalName: String?
    package var principalArn: String
    package var action: String
    package var resource: String
    /// Condition keys and their values, as the request carried them.
    package var conditions: [String: [String]]

    package init(
        allowed: Bool, explicitDeny: Bool, matchedStatements: [Statement] = [], failures: [String] = [],
        principalId: String, principalName: String? = nil, principalArn: String, action: String, resource: String,
        conditions: [String: [String]] = [:]
    ) {
        self.allowed = allowed
        self.explicitDeny = explicitDeny
        self.matchedStatements = matchedStatements
        self.failures = failures
        self.principalId = principalId
        self.principalName = principalName
        self.principalArn = principalArn
        self.action = action
        self.resource = resource
        self.conditions = conditions
    }

    private static let version: UInt8 = 1

    /// The decoded message, as `DecodeAuthorizationMessage` answers it.
    package var json: String {
        var principal: [String: Value] = ["id": .string(principalId), "arn": .string(principalArn)]
        if let principalName { principal["name"] = .string(principalName) }
        let conditionItems: [Value] = conditions.keys.sorted().map { key in
            [
                "key": .string(key),
                "values": ["items": .list((conditions[key] ?? []).map { ["value": .string($0)] })],
            ]
        }
        let doc: Value = [
            "allowed": .bool(allowed),
            "explicitDeny": .bool(explicitDeny),
            "matchedStatements": ["items": .list(matchedStatements.map {
                ["statementId": .string($0.statementId), "effect": .string($0.effect)]
            })],
            "failures": ["items": .list(failures.map { .string($0) })],
            "context": [
                "principal": .object(principal),
                "action": .string(action),
                "resource": .string(resource),
                "conditions": ["items": .list(conditionItems)],
            ],
        ]
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(doc, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The opaque form put in an AccessDenied message.
    package var encoded: String {
        let b64 = Base64.encode([Self.version] + Array(json.utf8))
        var out = ""
        out.reserveCapacity(b64.utf8.count)
        for c in b64 {
            switch c {
            case "+": out.append("-")
            case "/": out.append("_")
            case "=": continue
            default: out.append(c)
            }
        }
        return out
    }

    /// The decoded JSON of an encoded message, or nil when it is not one Simfra encoded.
    package static func decodedJSON(_ encoded: String) -> String? {
        var b64 = ""
        b64.reserveCapacity(encoded.utf8.count + 3)
        for c in encoded {
            switch c {
            case "-": b64.append("+")
            case "_": b64.append("/")
            default: b64.append(c)
            }
        }
        while b64.utf8.count % 4 != 0 { b64.append("=") }
        guard let bytes = Base64.decode(b64), bytes.first == version else { return nil }
        let body = Array(bytes.dropFirst())
        guard case .object? = try? JSONReader.parse(body) else { return nil }
        return String(decoding: body, as: UTF8.self)
    }
}
