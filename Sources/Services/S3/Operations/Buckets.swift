import SimfraCore
import SimfraProtocols

extension S3Service {
    static let defaultPublicAccessBlock: Value = [
        "BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true,
    ]

    static func ownershipValue(_ ownership: String) -> Value {
        ["Rules": [["ObjectOwnership": .string(ownership)]]]
    }

    static let cannedACLs: Set<String> = [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read",
        "bucket-owner-full-control", "log-delivery-write",
    ]

    func createBucket(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.str("Bucket") ?? ""
        guard BucketRules.isValidName(name) else { throw S3Errors.invalidBucketName(name) }
        let configuration = input["CreateBucketConfiguration"]
        let (region, constraint) = try BucketRules.resolveRegion(
            constraint: input.str(Self.locationConstraintKey) ?? configuration?.str("LocationConstraint"), requestRegion: context.region)
        let ownership = input.str("ObjectOwnership") ?? "BucketOwnerEnforced"
        guard ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(ownership) else {
            throw S3Errors.invalidArgument("Invalid x-amz-object-ownership header: \(ownership)", name: "x-amz-object-ownership",
                                           value: ownership)
        }
        var config: [String: Value] = [
            "Ownership": Self.ownershipValue(ownership),
            "PublicAccessBlock": Self.defaultPublicAccessBlock,
        ]
        if let acl = input.str("ACL") {
            guard Self.cannedACLs.contains(acl) else { throw S3Errors.invalidArgument("", name: "x-amz-acl", value: acl) }
            if ownership == "BucketOwnerEnforced" && acl != "private" && acl != "bucket-owner-full-control" {
                throw AWSError(code: "InvalidBucketAclWithObjectOwnership",
                               message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", status: 400)
            }
            config["ACL"] = .string(acl)
        }
        if let tags = configuration?["Tags"]?.listValue, !tags.isEmpty {
            _ = try Self.parseTagSet(.list(tags))
            config["Tagging"] = .list(tags)
        }
        let created = now()
        let commit: Commit? = try locked { s throws(AWSError) -> Commit? in
            if let existing = s.buckets[name] {
                guard existing.owner == context.accountId else { throw S3Errors.alreadyExists(name) }
                // us-east-1 answers 200 to a repeated create of one's own bucket (legacy behaviour).
                if existing.region == "us-east-1" && region == "us-east-1" { return nil }
                throw S3Errors.alreadyOwnedByYou(name)
            }
            let b = Bucket(name: name, owner: context.accountId, region: region, locationConstraint: constraint,
                           created: created, config: config)
            s.buckets[name] = b
            return records.put(kind: S3Records.bucketKind, account: b.owner, region: region, id: name, data: S3Records.encode(b))
        }
        try await commit?.wait()
        let location = region == "us-east-1" ? "/\(name)" : "\(context.endpoint)/\(name)/"
        return ["Location": .string(location), "BucketArn": .string("arn:aws:s3:::\(name)")]
    }

    func headBucket(_ input: Value, _ context: RequestContext) throws -> Value {
        let name = input.str("Bucket") ?? ""
        let region = try locked { s throws(AWSError) -> String in
            try bucket(s, name, context, expectedOwner: input.str("ExpectedBucketOwner")).region
        }
        return ["BucketRegion": .string(region), "AccessPointAlias": false, "BucketArn": .string("arn:aws:s3:::\(name)")]
    }

    func deleteBucket(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.str("Bucket") ?? ""
        let (commit, partPaths) = try locked { s throws(AWSError) -> (Commit, [String]) in
            let b = try bucket(s, name, context, expectedOwner: input.str("ExpectedBucketOwner"))
            guard b.objects.isEmpty else { throw S3Errors.bucketNotEmpty(name) }
            // In-progress uploads go with the bucket.
            var writes: [DurableWrite] = [.delete(kind: S3Records.bucketKind, account: b.owner, region: b.region, id: name)]
            var paths: [String] = []
            for (id, u) in s.uploads where u.bucket == name {
                s.uploads[id] = nil
                writes += Self.uploadRemoval(u, owner: b.owner, region: b.region)
                paths += u.parts.values.compactMap(\.blobPath)
            }
            s.buckets[name] = nil
            return (records.apply(writes), paths)
        }
        try await commit.wait()
        removeBodies(partPaths)
        return [:]
    }

    func listBuckets(_ input: Value, _ context: RequestContext) -> Value {
        let prefix = input.str("Prefix") ?? ""
        let regionFilter = input.str("BucketRegion")
        let max = input.int64("MaxBuckets").map { Int(Swift.max(1, Swift.min($0, 10000))) }
        let after = input.str("ContinuationToken").flatMap { Base64.decode($0) }.map { String(decoding: $0, as: UTF8.self) }
        let all: [(String, Double, String)] = state.withLock { s in
            s.buckets.values.filter { $0.owner == context.accountId }.map { ($0.name, $0.created, $0.region) }
        }
        var selected = all.filter { b in
            b.0.hasPrefix(prefix) && (regionFilter == nil || b.2 == regionFilter) && (after == nil || b.0 > after!)
        }.sorted { $0.0 < $1.0 }
        var next: String?
        if let max, selected.count > max {
            selected = Array(selected.prefix(max))
            next = Base64.encode(Array(selected[selected.count - 1].0.utf8))
        }
        var out: Value = [
            "Buckets": .list(selected.map { ["Name": .string($0.0), "CreationDate": .timestamp($0.1), "BucketRegion": .string($0.2)] }),
            "Owner": Self.ownerValue(context.accountId),
        ]
        if let next { out["ContinuationToken"] = .string(next) }
        if !prefix.isEmpty { out["Prefix"] = .string(prefix) }
        return out
    }

    func getBucketLocation(_ input: Value, _ context: RequestContext) throws -> Value {
        let name = input.str("Bucket") ?? ""
        let constraint = try locked { s throws(AWSError) -> String? in
            try bucket(s, name, context, expectedOwner: input.str("ExpectedBucketOwner")).locationConstraint
        }
        return constraint.map { ["LocationConstraint": .string($0)] } ?? [:]
    }
}
