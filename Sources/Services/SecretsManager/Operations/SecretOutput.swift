import SimfraCore

/// The shapes DescribeSecret, ListSecrets and the value operations answer with.
extension SecretsManagerService {
    static func tagList(_ tags: [SecretTag]) -> Value {
        .list(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })
    }

    static func rulesValue(_ r: RotationRules) -> Value {
        var o: [String: Value] = [:]
        if let d = r.automaticallyAfterDays { o["AutomaticallyAfterDays"] = .integer(Int64(d)) }
        if let d = r.duration { o["Duration"] = .string(d) }
        if let e = r.scheduleExpression { o["ScheduleExpression"] = .string(e) }
        return .object(o)
    }

    static func replicationValue(_ replicas: [ReplicaState]) -> Value {
        .list(replicas.map { r in
            var o: [String: Value] = ["Region": .string(r.region), "Status": .string(r.status),
                                      "StatusMessage": .string(r.message)]
            o["KmsKeyId"] = .string(r.kmsKeyId ?? defaultKeyAlias)
            if let a = r.lastAccessed { o["LastAccessedDate"] = .timestamp(a) }
            return .object(o)
        })
    }

    /// DescribeSecret's answer, or one ListSecrets entry (`listing`: the versions map is named
    /// `SecretVersionsToStages` there).
    static func describeValue(_ s: Secret, listing: Bool) -> Value {
        var o: [String: Value] = [
            "ARN": .string(s.arn), "Name": .string(s.name), "CreatedDate": .timestamp(s.created),
            "LastChangedDate": .timestamp(s.lastChanged),
        ]
        if let d = s.description { o["Description"] = .string(d) }
        if let k = s.kmsKeyId { o["KmsKeyId"] = .string(k) }
        if let t = s.tags { o["Tags"] = tagList(t) }
        if let a = s.lastAccessed { o["LastAccessedDate"] = .timestamp(a) }
        if let d = s.deletedDate { o["DeletedDate"] = .timestamp(d) }
        if let r = s.rotationEnabled { o["RotationEnabled"] = .bool(r) }
        if let l = s.rotationLambdaARN { o["RotationLambdaARN"] = .string(l) }
        if let r = s.rotationRules { o["RotationRules"] = rulesValue(r) }
        if let r = s.lastRotated { o["LastRotatedDate"] = .timestamp(r) }
        if let n = s.nextRotation { o["NextRotationDate"] = .timestamp(n) }
        if let svc = s.owningService { o["OwningService"] = .string(svc) }
        if let p = s.primaryRegion {
            o["PrimaryRegion"] = .string(p)
        } else if !s.replicas.isEmpty {
            o["PrimaryRegion"] = .string(s.region)
            o["ReplicationStatus"] = replicationValue(s.replicas)
        }
        var stages: [String: Value] = [:]
        for v in s.versions where !v.isDeprecated { stages[v.id] = .list(v.stages.map(Value.string)) }
        if !stages.isEmpty { o[listing ? "SecretVersionsToStages" : "VersionIdsToStages"] = .object(stages) }
        return .object(o)
    }

    /// GetSecretValue's answer and a BatchGetSecretValue entry.
    static func valueOutput(_ s: Secret, _ v: SecretVersion, plaintext: [UInt8]) -> Value {
        var o: [String: Value] = [
            "ARN": .string(s.arn), "Name": .string(s.name), "VersionId": .string(v.id),
            "VersionStages": .list(v.stages.map(Value.string)), "CreatedDate": .timestamp(v.created),
        ]
        if v.isBinary {
            o["SecretBinary"] = .blob(plaintext)
        } else {
            o["SecretString"] = .string(String(decoding: plaintext, as: UTF8.self))
        }
        return .object(o)
    }

    static func nameAndArn(_ s: Secret) -> [String: Value] { ["ARN": .string(s.arn), "Name": .string(s.name)] }
}
