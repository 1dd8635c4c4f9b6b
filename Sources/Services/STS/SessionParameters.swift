import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// The session policies and session tags one AssumeRole*/GetFederationToken call passes,
/// validated as AWS validates them, with the packed size AWS reports.
///
/// AWS packs the inline policy, the managed policy ARNs and the tags into a compressed binary
/// form inside the session token and reports how much of its fixed allowance that uses
/// (`PackedPolicySize`, a percentage). Its packing is not published; Simfra counts the
/// minified policy plus the ARNs against 2,048 bytes and the tags (keys and values) against
/// another 2,048, which keeps every request AWS's documented limits allow under 100% and
/// refuses documents far over them, with AWS's two messages.
struct SessionParameters {
    static let packedLimit = 2048
    static let maxPolicyArns = 10

    var policyDocument: String?
    var policy: Policy?
    var policyArns: [String] = []
    /// Requested tags in request order.
    var tags: [(key: String, value: String)] = []
    var transitiveTagKeys: [String] = []
    /// Percentage of the packed allowance used (the response's `PackedPolicySize`).
    var packedPolicySize = 0

    var hasSessionData: Bool { policyDocument != nil || !policyArns.isEmpty || !tags.isEmpty }

    init(_ input: Value) throws(AWSError) {
        var policyBytes = 0
        if let doc = input["Policy"]?.stringValue {
            let parsed: Value
            do {
                parsed = try JSONReader.parse(Array(doc.utf8))
            } catch {
                throw AWSError(code: "MalformedPolicyDocument", message: "The policy is not in the valid JSON format.",
                               status: 400)
            }
            do {
                policy = try Policy(parsing: parsed, kind: .identity)
            } catch {
                throw error.awsError()
            }
            policyDocument = doc
            var w = ByteWriter()
            JSONShapeCodec.writeGeneric(parsed, into: &w)
            policyBytes = w.bytes.count
        }
        for d in input["PolicyArns"]?.listValue ?? [] {
            guard let arn = d["arn"]?.stringValue else { continue }
            _ = try STSValidation.arn(arn)
            policyArns.append(arn)
            policyBytes += arn.utf8.count
        }
        if policyArns.count > Self.maxPolicyArns {
            throw STSValidation.validationError(
                "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to \(Self.maxPolicyArns)")
        }
        var seen: Set<String> = []
        var tagBytes = 0
        for t in input["Tags"]?.listValue ?? [] {
            let key = t["Key"]?.stringValue ?? ""
            let value = t["Value"]?.stringValue ?? ""
            if !seen.insert(key.lowercased()).inserted {
                throw STSValidation.invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
            tags.append((key, value))
            tagBytes += key.utf8.count + value.utf8.count
        }
        for k in input["TransitiveTagKeys"]?.listValue ?? [] {
            guard let key = k.stringValue else { continue }
            guard seen.contains(key.lowercased()) else {
                throw STSValidation.invalidParameter("The specified transitive tag key must be included in the requested tags.")
            }
            transitiveTagKeys.append(key)
        }
        let policyPercent = Self.percent(policyBytes)
        let tagPercent = Self.percent(tagBytes)
        if policyPercent > 100 {
            throw AWSError(code: "PackedPolicyTooLarge",
                           message: "Packed policy consumes \(policyPercent)% of allotted space, please use smaller policy.",
                           status: 400)
        }
        if tagPercent > 100 {
            throw AWSError(code: "PackedPolicyTooLarge",
                           message: "Packed size of session tags consumes \(tagPercent)% of allotted space.", status: 400)
        }
        packedPolicySize = min(100, max(policyPercent, tagPercent))
    }

    static func percent(_ bytes: Int) -> Int {
        (bytes * 100 + packedLimit - 1) / packedLimit
    }

    /// The session's tags and transitive keys once a chained call's inherited transitive
    /// tags are added; those cannot be set again (AWS refuses, whatever the case of the key).
    func merged(inheriting caller: SessionInfo?) throws(AWSError) -> (tags: [String: String], transitive: [String]) {
        var tags: [String: String] = [:]
        var transitive: [String] = []
        var inherited: Set<String> = []
        if let caller {
            for key in caller.transitiveTagKeys {
                guard let v = caller.tags[key] else { continue }
                tags[key] = v
                transitive.append(key)
                inherited.insert(key.lowercased())
            }
        }
        for (k, v) in self.tags {
            if inherited.contains(k.lowercased()) {
                throw STSValidation.invalidParameter(
                    "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
            }
            tags[k] = v
        }
        transitive += transitiveTagKeys
        return (tags, transitive)
    }
}
