import SimfraCore

/// RotateSecret and CancelRotateSecret: the rotation configuration and schedule are
/// recorded; the rotation Lambda is not invoked (Simfra has no Lambda yet), so no AWSPENDING
/// version is created by a rotation.
extension SecretsManagerService {
    static func rotationRules(_ v: Value?) throws -> RotationRules? {
        guard let v, v.objectValue != nil else { return nil }
        let r = RotationRules(automaticallyAfterDays: v.int("AutomaticallyAfterDays"), duration: v.string("Duration"),
                              scheduleExpression: v.string("ScheduleExpression"))
        if r.automaticallyAfterDays != nil, r.scheduleExpression != nil {
            throw SMError.invalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression.")
        }
        if let e = r.scheduleExpression, !(e.hasPrefix("rate(") || e.hasPrefix("cron(")) || (r.scheduleExpression?.hasSuffix(")") == false) {
            throw SMError.invalidParameter("Invalid ScheduleExpression: \(r.scheduleExpression ?? "")")
        }
        if let d = r.duration {
            guard let hours = Int(d.dropLast()), d.hasSuffix("h"), (1...24).contains(hours) else {
                throw SMError.invalidParameter("Invalid Duration: \(d). Specify a duration between 1h and 24h.")
            }
        }
        return r
    }

    /// The next scheduled rotation: `AutomaticallyAfterDays` or `rate(N days|hours)` after
    /// `from`. Cron schedules are recorded but no date is computed for them.
    static func nextRotation(_ r: RotationRules, from: Double) -> Double? {
        if let d = r.automaticallyAfterDays { return from + Double(d) * 86400 }
        guard let e = r.scheduleExpression, e.hasPrefix("rate("), e.hasSuffix(")") else { return nil }
        let parts = e.dropFirst(5).dropLast().split(separator: " ")
        guard parts.count == 2, let n = Double(parts[0]) else { return nil }
        switch parts[1] {
        case "day", "days": return from + n * 86400
        case "hour", "hours": return from + n * 3600
        default: return nil
        }
    }

    static func isLambdaArn(_ arn: String) -> Bool {
        let p = arn.split(separator: ":", omittingEmptySubsequences: false)
        return p.count >= 7 && p[0] == "arn" && p[2] == "lambda" && p[5] == "function" && !p[6].isEmpty
    }

    func rotateSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        guard input.string("ClientRequestToken") != nil else { throw SMError.tokenRequired() }
        guard let lambda = input.string("RotationLambdaARN") ?? s.rotationLambdaARN else {
            throw SMError.invalidRequest("No Lambda rotation function ARN is associated with this secret.")
        }
        guard Self.isLambdaArn(lambda) else {
            throw AWSError(code: "AccessDeniedException",
                           message: "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
        }
        let rules = try Self.rotationRules(input["RotationRules"])
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            sec.rotationLambdaARN = lambda
            if let rules { sec.rotationRules = rules }
            sec.rotationEnabled = true
            sec.nextRotation = sec.rotationRules.flatMap { Self.nextRotation($0, from: now) }
            sec.lastChanged = now
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .object(Self.nameAndArn(s))
    }

    func cancelRotateSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            sec.rotationEnabled = false
            sec.nextRotation = nil
            sec.lastChanged = now
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .object(Self.nameAndArn(s))
    }
}
