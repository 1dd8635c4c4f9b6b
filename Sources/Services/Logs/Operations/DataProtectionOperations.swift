import SimfraCore
import SimfraProtocols

/// A log group's data protection policy: stored with the group (and persisted with it),
/// answered back and shown as `dataProtectionStatus: ACTIVATED`. Simfra does not mask
/// messages: the policy's audit findings and de-identification are AWS's managed data
/// identifiers (machine-learned detectors Simfra does not have), so events are returned as
/// they were put, which the README says.
extension LogsService {
    /// AWS's limit on a policy document.
    static let dataProtectionPolicyLimit = 30_720

    func putDataProtectionPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try Self.groupName(input)
        let document = input.string("policyDocument") ?? ""
        try Self.checkDataProtectionPolicy(document)
        let now = nowMillis
        let commit = try withGroup(ctx, name) { gs -> Commit in
            gs.group.dataProtectionPolicy = document
            gs.group.dataProtectionUpdated = now
            return records.apply([groupWrite(gs.group)])
        }
        try await commit.wait()
        return ["logGroupIdentifier": .string(input.string("logGroupIdentifier") ?? name),
                "policyDocument": .string(document), "lastUpdatedTime": .integer(now)]
    }

    func getDataProtectionPolicy(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = try Self.groupName(input)
        let group = try withGroup(ctx, name) { $0.group }
        var out: [String: Value] = ["logGroupIdentifier": .string(input.string("logGroupIdentifier") ?? name)]
        if let doc = group.dataProtectionPolicy {
            out["policyDocument"] = .string(doc)
            out["lastUpdatedTime"] = .integer(group.dataProtectionUpdated ?? group.creationTime)
        }
        return .object(out)
    }

    func deleteDataProtectionPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try Self.groupName(input)
        let commit = try withGroup(ctx, name) { gs -> Commit in
            guard gs.group.dataProtectionPolicy != nil else {
                throw AWSError(code: "ResourceNotFoundException", message: "The specified data protection policy does not exist.")
            }
            gs.group.dataProtectionPolicy = nil
            gs.group.dataProtectionUpdated = nil
            return records.apply([groupWrite(gs.group)])
        }
        try await commit.wait()
        return .empty
    }

    /// The document's shape as AWS's data protection policy language has it: `Name`,
    /// `Version` 2021-06-01 and statements, each with a non-empty `DataIdentifier` list and an
    /// `Operation` that audits or de-identifies.
    static func checkDataProtectionPolicy(_ document: String) throws(AWSError) {
        func invalid(_ why: String) -> AWSError { LogsError.invalidParameter("Invalid data protection policy: \(why)") }
        guard document.utf8.count <= dataProtectionPolicyLimit else { throw invalid("the document is over 30720 bytes") }
        guard case .object(let doc)? = try? JSONReader.parse(Array(document.utf8)) else { throw invalid("not a JSON object") }
        guard case .string(let name)? = doc["Name"], !name.isEmpty else { throw invalid("Name is required") }
        guard case .string("2021-06-01")? = doc["Version"] else { throw invalid("Version must be 2021-06-01") }
        guard case .list(let statements)? = doc["Statement"], !statements.isEmpty else { throw invalid("Statement is required") }
        for statement in statements {
            guard case .object(let s) = statement else { throw invalid("a statement must be an object") }
            guard case .list(let ids)? = s["DataIdentifier"], !ids.isEmpty,
                  ids.allSatisfy({ if case .string(let i) = $0 { !i.isEmpty } else { false } })
            else { throw invalid("each statement needs a non-empty DataIdentifier list") }
            guard case .object(let operation)? = s["Operation"],
                  operation["Audit"] != nil || operation["Deidentify"] != nil
            else { throw invalid("each statement needs an Operation with Audit or Deidentify") }
        }
    }
}
