import SimfraCore
import SimfraProtocols

/// Bucket sub-resources stored as given and returned as stored: versioning, tagging, policy,
/// CORS, ACL, lifecycle, encryption, notification, ownership controls, public access block.
extension S3Service {
    /// Applies `change` to the bucket under the lock and persists the bucket record.
    func updateBucket(_ input: Value, _ context: RequestContext, _ change: (Bucket) throws(AWSError) -> Void) async throws {
        let name = input.str("Bucket") ?? ""
        let commit = try locked { s throws(AWSError) -> Commit in
            let b = try bucket(s, name, context, expectedOwner: input.str("ExpectedBucketOwner"))
            try change(b)
            return records.put(kind: S3Records.bucketKind, account: b.owner, region: b.region, id: b.name, data: S3Records.encode(b))
        }
        try await commit.wait()
    }

    func readBucket<T: Sendable>(_ input: Value, _ context: RequestContext, _ read: (Bucket) throws(AWSError) -> T) throws -> T {
        let name = input.str("Bucket") ?? ""
        return try locked { s throws(AWSError) -> T in
            try read(try bucket(s, name, context, expectedOwner: input.str("ExpectedBucketOwner")))
        }
    }

    func setConfig(_ input: Value, _ context: RequestContext, _ kind: String, _ value: Value?) async throws {
        try await updateBucket(input, context) { (b: Bucket) throws(AWSError) in b.config[kind] = value }
    }

    func config(_ input: Value, _ context: RequestContext, _ kind: String, missing: (String) -> AWSError) throws -> Value {
        let name = input.str("Bucket") ?? ""
        return try readBucket(input, context) { (b: Bucket) throws(AWSError) -> Value in
            guard let v = b.config[kind] else { throw missing(name) }
            return v
        }
    }

    func handleConfiguration(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value? {
        let name = input.str("Bucket") ?? ""
        switch operation {
        // Versioning
        case "PutBucketVersioning":
            guard let status = input["VersioningConfiguration"]?.str("Status"), status == "Enabled" || status == "Suspended" else {
                throw S3Errors.malformedXML()
            }
            if let mfa = input["VersioningConfiguration"]?.str("MFADelete"), mfa == "Enabled" {
                throw S3Errors.invalidRequest("DevPay and Mfa are mutually exclusive authorization methods.")
            }
            try await updateBucket(input, context) { (b: Bucket) throws(AWSError) in b.versioning = status }
            return [:]
        case "GetBucketVersioning":
            let status = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> String? in b.versioning }
            return status.map { ["Status": .string($0)] } ?? [:]

        // Tagging
        case "PutBucketTagging":
            let tags = try Self.parseTagSet(input["Tagging"]?["TagSet"])
            try Self.validateTags(tags, max: 50, bucket: true)
            try await setConfig(input, context, "Tagging", Self.tagSetValue(tags))
            return [:]
        case "GetBucketTagging":
            let tags = try config(input, context, "Tagging") { S3Errors.notFound("NoSuchTagSet", "The TagSet does not exist", bucket: $0) }
            return ["TagSet": tags]
        case "DeleteBucketTagging":
            try await setConfig(input, context, "Tagging", nil)
            return [:]

        // Policy (validated as a resource policy; the authoriser evaluates it)
        case "PutBucketPolicy":
            guard let policy = input.str("Policy"), Self.isJSONObject(policy) else {
                throw AWSError(code: "MalformedPolicy", message: "Policies must be valid JSON and the first byte must be '{'",
                               status: 400)
            }
            if let problem = Self.policyProblem(policy) {
                throw AWSError(code: "MalformedPolicy", message: problem, status: 400)
            }
            try await setConfig(input, context, "Policy", .string(policy))
            return [:]
        case "GetBucketPolicy":
            let p = try config(input, context, "Policy") {
                S3Errors.notFound("NoSuchBucketPolicy", "The bucket policy does not exist", bucket: $0)
            }
            return ["Policy": p]
        case "DeleteBucketPolicy":
            try await setConfig(input, context, "Policy", nil)
            return [:]
        case "GetBucketPolicyStatus":
            let p = try config(input, context, "Policy") {
                S3Errors.notFound("NoSuchBucketPolicy", "The bucket policy does not exist", bucket: $0)
            }
            let isPublic = Self.isPublicPolicy(p.stringValue ?? "")
            return ["PolicyStatus": ["IsPublic": .bool(isPublic)]]

        // CORS
        case "PutBucketCors":
            guard let rules = input["CORSConfiguration"]?["CORSRules"]?.listValue, !rules.isEmpty, rules.count <= 100 else {
                throw S3Errors.malformedXML()
            }
            for r in rules {
                guard let methods = r["AllowedMethods"]?.listValue, !methods.isEmpty,
                    let origins = r["AllowedOrigins"]?.listValue, !origins.isEmpty
                else { throw S3Errors.malformedXML() }
                for m in methods.compactMap(\.stringValue) where !["GET", "PUT", "HEAD", "POST", "DELETE"].contains(m) {
                    throw S3Errors.invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is \(m)")
                }
            }
            try await setConfig(input, context, "CORS", .list(rules))
            return [:]
        case "GetBucketCors":
            let rules = try config(input, context, "CORS") {
                S3Errors.notFound("NoSuchCORSConfiguration", "The CORS configuration does not exist", bucket: $0)
            }
            return ["CORSRules": rules]
        case "DeleteBucketCors":
            try await setConfig(input, context, "CORS", nil)
            return [:]

        // ACL (canned)
        case "PutBucketAcl":
            let ownership = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> String? in
                b.config["Ownership"]?["Rules"]?.listValue?.first?.str("ObjectOwnership")
            }
            let acl = try Self.aclFromRequest(input, ownership: ownership)
            try await setConfig(input, context, "ACL", .string(acl))
            return [:]
        case "GetBucketAcl":
            let (acl, owner) = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> (String, String) in
                (b.config["ACL"]?.stringValue ?? "private", b.owner)
            }
            return Self.aclOutput(canned: acl, owner: owner)

        // Lifecycle (stored only)
        case "PutBucketLifecycleConfiguration":
            guard let rules = input["LifecycleConfiguration"]?["Rules"]?.listValue, !rules.isEmpty, rules.count <= 1000 else {
                throw S3Errors.malformedXML()
            }
            for r in rules {
                guard let status = r.str("Status"), status == "Enabled" || status == "Disabled" else { throw S3Errors.malformedXML() }
            }
            // Since September 2024 S3 applies a 128 KiB minimum object size to transitions
            // unless told otherwise, and echoes the setting as a header on Put and Get (the
            // Terraform provider waits until Get returns what it sent).
            let minSize = input.str("TransitionDefaultMinimumObjectSize") ?? Self.defaultTransitionMinimumSize
            try await updateBucket(input, context) { (b: Bucket) throws(AWSError) in
                b.config["Lifecycle"] = .list(rules)
                b.config["LifecycleMinimumObjectSize"] = .string(minSize)
            }
            return ["TransitionDefaultMinimumObjectSize": .string(minSize)]
        case "GetBucketLifecycleConfiguration":
            let rules = try config(input, context, "Lifecycle") {
                S3Errors.notFound("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", bucket: $0)
            }
            let minSize = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> String? in
                b.config["LifecycleMinimumObjectSize"]?.stringValue
            }
            return ["Rules": rules, "TransitionDefaultMinimumObjectSize": .string(minSize ?? Self.defaultTransitionMinimumSize)]
        case "DeleteBucketLifecycle":
            try await updateBucket(input, context) { (b: Bucket) throws(AWSError) in
                b.config["Lifecycle"] = nil
                b.config["LifecycleMinimumObjectSize"] = nil
            }
            return [:]

        // Default encryption (SSE-S3 unless configured)
        case "PutBucketEncryption":
            guard let c = input["ServerSideEncryptionConfiguration"], let rules = c["Rules"]?.listValue, !rules.isEmpty,
                let alg = rules[0]["ApplyServerSideEncryptionByDefault"]?.str("SSEAlgorithm")
            else { throw S3Errors.malformedXML() }
            guard ["AES256", "aws:kms", "aws:kms:dsse"].contains(alg) else { throw S3Errors.malformedXML() }
            try await setConfig(input, context, "Encryption", c)
            return [:]
        case "GetBucketEncryption":
            let c = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> Value? in b.config["Encryption"] }
            return ["ServerSideEncryptionConfiguration": c ?? [
                "Rules": [["ApplyServerSideEncryptionByDefault": ["SSEAlgorithm": "AES256"], "BucketKeyEnabled": false]],
            ]]
        case "DeleteBucketEncryption":
            try await setConfig(input, context, "Encryption", nil)
            return [:]

        // Notifications (validated and delivered: Notifications/)
        case "PutBucketNotificationConfiguration":
            return try await putBucketNotificationConfiguration(input, context)
        case "GetBucketNotificationConfiguration":
            let c = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> Value? in b.config["Notification"] }
            return c ?? [:]

        // Ownership controls
        case "PutBucketOwnershipControls":
            guard let rules = input["OwnershipControls"]?["Rules"]?.listValue, rules.count == 1,
                let o = rules[0].str("ObjectOwnership"), ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(o)
            else { throw S3Errors.malformedXML() }
            try await setConfig(input, context, "Ownership", Self.ownershipValue(o))
            return [:]
        case "GetBucketOwnershipControls":
            let c = try config(input, context, "Ownership") {
                S3Errors.notFound("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", bucket: $0)
            }
            return ["OwnershipControls": c]
        case "DeleteBucketOwnershipControls":
            try await setConfig(input, context, "Ownership", nil)
            return [:]

        // Public access block
        case "PutPublicAccessBlock":
            guard let c = input["PublicAccessBlockConfiguration"] else { throw S3Errors.malformedXML() }
            var stored: Value = [:]
            for k in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
                stored[k] = .bool(c.bool(k) ?? false)
            }
            try await setConfig(input, context, "PublicAccessBlock", stored)
            return [:]
        case "GetPublicAccessBlock":
            let c = try config(input, context, "PublicAccessBlock") {
                S3Errors.notFound("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found",
                                  bucket: $0)
            }
            return ["PublicAccessBlockConfiguration": c]
        case "DeletePublicAccessBlock":
            try await setConfig(input, context, "PublicAccessBlock", nil)
            return [:]
        default:
            _ = name
            return nil
        }
    }

    static let defaultTransitionMinimumSize = "all_storage_classes_128K"

    static func isJSONObject(_ s: String) -> Bool {
        guard s.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") else { return false }
        return (try? JSONReader.parse(Array(s.utf8))) != nil
    }
}
