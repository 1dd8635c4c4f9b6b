import SimfraCore

extension S3Service {
    /// Rewrites one stored version in place (tags, ACL) and persists it.
    /// `event` (`ObjectTagging:Put`…) is notified once the change is durable.
    func updateVersion(_ input: Value, _ context: RequestContext, event: String,
                       _ change: (inout ObjectVersion) throws(AWSError) -> Void)
        async throws -> (ObjectVersion, Bool)
    {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        let versionId = input.str("VersionId")
        let (v, versioned, commit, scope) = try locked { s throws(AWSError) -> (ObjectVersion, Bool, Commit, NotificationScope?) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            var v = try Self.lookup(b, key: key, versionId: versionId, method: "PUT")
            try change(&v)
            var versions = b.objects[key] ?? []
            if let i = versions.firstIndex(where: { $0.versionId == v.versionId }) { versions[i] = v }
            b.objects[key] = versions
            let commit = records.put(kind: S3Records.objectKind, account: b.owner, region: b.region,
                                     id: S3Records.objectID(bucket: b.name, key: key, versionId: v.versionId), data: S3Records.encode(v))
            return (v, b.versioning != nil, commit, b.notificationScope)
        }
        try await commit.wait()
        if let scope {
            // Tagging and ACL events carry the ETag but neither size nor sequencer (recorded).
            let e = self.event(event, scope: scope, key: v.key, etag: v.etag, versionId: versioned ? v.versionId : nil,
                               sequencer: nil, context: context)
            notifier.deliver([e], scope: scope, context: context)
        }
        return (v, versioned)
    }

    func readVersion(_ input: Value, _ context: RequestContext) throws -> (ObjectVersion, Bool, [String: Value]) {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        return try locked { s throws(AWSError) -> (ObjectVersion, Bool, [String: Value]) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            return (try Self.lookup(b, key: key, versionId: input.str("VersionId"), method: "GET"), b.versioning != nil, b.config)
        }
    }

    func putObjectTagging(_ input: Value, _ context: RequestContext) async throws -> Value {
        let tags = try Self.parseTagSet(input["Tagging"]?["TagSet"])
        try Self.validateTags(tags, max: 10)
        let (v, versioned) = try await updateVersion(input, context, event: "ObjectTagging:Put") { (v: inout ObjectVersion) throws(AWSError) in
            v.tags = tags
        }
        return versioned ? ["VersionId": .string(v.versionId)] : [:]
    }

    func getObjectTagging(_ input: Value, _ context: RequestContext) throws -> Value {
        let (v, versioned, _) = try readVersion(input, context)
        var out: Value = ["TagSet": Self.tagSetValue(v.tags)]
        if versioned { out["VersionId"] = .string(v.versionId) }
        return out
    }

    func deleteObjectTagging(_ input: Value, _ context: RequestContext) async throws -> Value {
        let (v, versioned) = try await updateVersion(input, context, event: "ObjectTagging:Delete") { (v: inout ObjectVersion) throws(AWSError) in
            v.tags = []
        }
        return versioned ? ["VersionId": .string(v.versionId)] : [:]
    }

    func putObjectAcl(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let ownership = try locked { s throws(AWSError) -> String? in
            try bucket(s, bucketName, context).config["Ownership"]?["Rules"]?.listValue?.first?.str("ObjectOwnership")
        }
        let acl = try Self.aclFromRequest(input, ownership: ownership)
        _ = try await updateVersion(input, context, event: "ObjectAcl:Put") { (v: inout ObjectVersion) throws(AWSError) in v.acl = acl }
        return [:]
    }

    func getObjectAcl(_ input: Value, _ context: RequestContext) throws -> Value {
        let (v, _, _) = try readVersion(input, context)
        return Self.aclOutput(canned: v.acl, owner: v.owner)
    }

    /// A canned ACL from `x-amz-acl`, or `private` for an AccessControlPolicy body that only
    /// grants the owner (anything richer needs ACLs enabled and is stored as given).
    static func aclFromRequest(_ input: Value, ownership: String?) throws(AWSError) -> String {
        if input.str("ACL") != nil { return try objectACL(input, ownership: ownership) }
        if let policy = input["AccessControlPolicy"] {
            let grants = policy["Grants"]?.listValue ?? []
            let publicRead = grants.contains { $0["Grantee"]?.str("URI")?.hasSuffix("/AllUsers") == true && $0.str("Permission") == "READ" }
            let canned = publicRead ? "public-read" : "private"
            if ownership == "BucketOwnerEnforced" && canned != "private" {
                throw AWSError(code: "AccessControlListNotSupported", message: "The bucket does not allow ACLs", status: 400)
            }
            return canned
        }
        for h in ["GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP"] where input.str(h) != nil {
            if ownership == "BucketOwnerEnforced" {
                throw AWSError(code: "AccessControlListNotSupported", message: "The bucket does not allow ACLs", status: 400)
            }
        }
        return "private"
    }

    /// Owner + grants of a canned ACL, as GetBucketAcl / GetObjectAcl answer.
    static func aclOutput(canned: String, owner: String) -> Value {
        let ownerID = canonicalID(owner)
        var grants: [Value] = [
            ["Grantee": ["ID": .string(ownerID), "Type": "CanonicalUser"], "Permission": "FULL_CONTROL"],
        ]
        func group(_ name: String, _ permission: String) -> Value {
            ["Grantee": ["URI": .string("http://acs.amazonaws.com/groups/\(name)"), "Type": "Group"],
             "Permission": .string(permission)]
        }
        switch canned {
        case "public-read": grants.append(group("global/AllUsers", "READ"))
        case "public-read-write":
            grants.append(group("global/AllUsers", "READ"))
            grants.append(group("global/AllUsers", "WRITE"))
        case "authenticated-read": grants.append(group("global/AuthenticatedUsers", "READ"))
        case "log-delivery-write":
            grants.append(group("s3/LogDelivery", "WRITE"))
            grants.append(group("s3/LogDelivery", "READ_ACP"))
        default: break
        }
        return ["Owner": ownerValue(owner), "Grants": .list(grants)]
    }
}
