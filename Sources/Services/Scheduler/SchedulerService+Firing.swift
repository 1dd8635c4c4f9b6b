import Foundation
import SimfraCore

/// Firing: the service's loop asks the `FiringPlan` what is due, assumes each schedule's
/// execution role as `scheduler.amazonaws.com` (its trust policy must allow that), calls the
/// target with the role's credentials, retries transient failures within the retry policy and
/// hands what still fails to the dead-letter queue. Pending retries are transient.
extension SchedulerService {
    /// One attempt to deliver a firing (the first, or a retry).
    struct Attempt: Sendable {
        var schedule: Schedule
        var firing: TargetInvocation.Firing
        var firstAttemptAt: Double
        var notBefore: Double
    }

    /// What became of an attempt, kept (the last few hundred) for tests and diagnosis.
    struct Outcome: Sendable {
        enum Result: Sendable, Equatable {
            case delivered
            case retrying
            case failed(code: String, message: String, deadLettered: Bool)
        }

        var scheduleArn: String
        var scheduledTime: Double
        var attempt: Int
        var result: Result
    }

    static let servicePrincipal = "scheduler.amazonaws.com"
    static let outcomeLimit = 500

    /// Starts the firing loop once. After a restore it waits `delay` first, so that the
    /// services restored after Scheduler (the queues and topics its targets name) are back
    /// before the first firing.
    func startLoop(delay: Double = 0) {
        guard runsLoop else { return }
        loop.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
                while !Task.isCancelled {
                    guard let service = self else { return }
                    await service.fireDue()
                    let pause = service.secondsUntilNextWork()
                    try? await Task.sleep(for: .milliseconds(Int(min(max(pause, 0.05), 1) * 1000)))
                }
            }
        }
    }

    /// How long the loop may sleep: until the next planned firing or retry (capped by the
    /// caller, so that schedules created meanwhile are not missed).
    func secondsUntilNextWork() -> Double {
        let now = clock.now()
        let next = [state.withLock { $0.plan.nextInvocation }, retries.withLock { $0.map(\.notBefore).min() }]
            .compactMap { $0 }.min()
        return (next ?? now + 1) - now
    }

    /// Fires everything due now and the retries whose time has come; returns what happened.
    @discardableResult
    func fireDue() async -> [Outcome] {
        let now = clock.now()
        var attempts: [Attempt] = []
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            for (key, scheduled) in s.plan.takeDue(now: now) {
                guard let schedule = s.schedules[key] else { continue }
                attempts.append(Attempt(
                    schedule: schedule,
                    firing: .init(scheduleArn: schedule.arn, scheduledTime: scheduled,
                                  executionId: UUID().uuidString.lowercased(), attempt: 1),
                    firstAttemptAt: now, notBefore: now))
                s.plan.plan(schedule, after: scheduled, flexibleDelay: flexibleDelay)
                // ActionAfterCompletion DELETE: a schedule that will not fire again goes.
                if s.plan.entries[key] == nil, schedule.deleteAfterCompletion {
                    s.schedules.removeValue(forKey: key)
                    writes.append(.delete(kind: ScheduleRecord.kind, account: key.accountId, region: key.region, id: key.recordId))
                }
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try? await commit.wait()
        attempts += retries.withLock { pending in
            let due = pending.filter { $0.notBefore <= now }
            pending.removeAll { $0.notBefore <= now }
            return due
        }
        var outcomes: [Outcome] = []
        for a in attempts { outcomes.append(await attempt(a, now: now)) }
        if !outcomes.isEmpty {
            recentOutcomes.withLock { log in
                log.append(contentsOf: outcomes)
                if log.count > Self.outcomeLimit { log.removeFirst(log.count - Self.outcomeLimit) }
            }
        }
        return outcomes
    }

    func attempt(_ a: Attempt, now: Double) async -> Outcome {
        var outcome = Outcome(scheduleArn: a.schedule.arn, scheduledTime: a.firing.scheduledTime, attempt: a.firing.attempt,
                              result: .delivered)
        let input = TargetInvocation.input(a.schedule.target, a.firing)
        var roleContext: RequestContext?
        do {
            let ctx = try await assumeRole(a.schedule, executionId: a.firing.executionId)
            roleContext = ctx
            let call = try TargetInvocation.call(a.schedule.target, input: input, context: ctx)
            let out = try await invoker.invoke(call)
            // PutEvents reports a refused entry in its answer, not as an error.
            if let failed = out.int("FailedEntryCount"), failed > 0, let entry = out["Entries"]?.listValue?.first {
                throw AWSError(code: entry.string("ErrorCode") ?? "PutEventsFailed",
                               message: entry.string("ErrorMessage") ?? "The event was not accepted.", status: 400)
            }
            return outcome
        } catch {
            let e = (error as? AWSError) ?? AWSError.internalFailure("\(error)")
            let policy = a.schedule.target["RetryPolicy"] ?? ScheduleDefinition.defaultRetryPolicy
            let maxAttempts = policy.int("MaximumRetryAttempts") ?? 185
            let maxAge = Double(policy.int("MaximumEventAgeInSeconds") ?? 86400)
            let retriesMade = a.firing.attempt - 1
            if TargetInvocation.isTransient(e) {
                // Exponential back-off from one second, at most a minute apart.
                let delay = min(pow(2, Double(retriesMade)), 60)
                if retriesMade < maxAttempts, now + delay - a.firstAttemptAt <= maxAge {
                    var next = a
                    next.firing.attempt += 1
                    next.notBefore = now + delay
                    retries.withLock { $0.append(next) }
                    outcome.result = .retrying
                    return outcome
                }
            }
            let exhausted: String? = TargetInvocation.isTransient(e)
                ? (retriesMade >= maxAttempts ? "MaximumRetryAttempts" : "MaximumEventAgeInSeconds") : nil
            var deadLettered = false
            if let dlq = a.schedule.target["DeadLetterConfig"]?.string("Arn"), let roleContext {
                deadLettered = await deadLetter(dlq, body: input, error: e, exhausted: exhausted, retries: retriesMade,
                                                schedule: a.schedule, context: roleContext)
            }
            outcome.result = .failed(code: e.code, message: e.message, deadLettered: deadLettered)
            return outcome
        }
    }

    /// AWS checks at CreateSchedule and UpdateSchedule that Scheduler may assume the role (its
    /// trust policy allows scheduler.amazonaws.com). Other failures (STS unreachable) do not
    /// refuse the schedule: its firings will report them.
    func checkRole(_ schedule: Schedule) async throws {
        do {
            _ = try await assumeRole(schedule, executionId: UUID().uuidString)
        } catch let e as AWSError where e.code == "AccessDenied" || e.code == "AccessDeniedException" {
            throw SchedulerError.validation("The execution role you provide must allow AWS EventBridge Scheduler to assume the role.")
        } catch {}
    }

    /// The execution role's session, as a request context in the role's account. The source
    /// ARN is the schedule group's, as AWS sets it for confused-deputy conditions in trust policies.
    func assumeRole(_ schedule: Schedule, executionId: String) async throws -> RequestContext {
        let base = RequestContext(
            requestId: requestIds.next(), accountId: schedule.key.accountId, region: schedule.key.region,
            principalArn: Self.servicePrincipal, userId: "", accessKeyId: "", service: "scheduler", operation: "",
            endpoint: endpoint.withLock { $0 }, host: "")
        let session = String(executionId.filter { $0 != "-" }.prefix(32))
        let out = try await invoker.invoke(InternalCall(
            service: "sts", operation: "AssumeRole",
            input: ["RoleArn": .string(schedule.roleArn), "RoleSessionName": .string(session)],
            onBehalfOf: base, via: nil, asService: Self.servicePrincipal, sourceArn: schedule.groupArn))
        guard let key = out["Credentials"]?.string("AccessKeyId"), let user = out["AssumedRoleUser"],
            let arn = user.string("Arn")
        else { throw AWSError.internalFailure("AssumeRole answered without credentials") }
        var ctx = base
        let roleParts = schedule.roleArn.split(separator: ":", omittingEmptySubsequences: false)
        if roleParts.count >= 5, !roleParts[4].isEmpty { ctx.accountId = String(roleParts[4]) }
        ctx.principalArn = arn
        ctx.userId = user.string("AssumedRoleId") ?? ""
        ctx.accessKeyId = key
        return ctx
    }

    /// Sends the failed event to the schedule's dead-letter queue with AWS's attributes, as the
    /// execution role (which needs sqs:SendMessage on it, as in AWS).
    func deadLetter(_ queueArn: String, body: String, error e: AWSError, exhausted: String?, retries: Int,
                    schedule: Schedule, context: RequestContext) async -> Bool
    {
        let parts = queueArn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return false }
        var ctx = context
        ctx.region = String(parts[3])
        func attr(_ s: String) -> Value { ["DataType": "String", "StringValue": .string(s)] }
        var attributes: [String: Value] = [
            "ERROR_CODE": attr(e.code), "ERROR_MESSAGE": attr(e.message), "RETRY_ATTEMPTS": attr(String(retries)),
            "SCHEDULE_ARN": attr(schedule.arn), "TARGET_ARN": attr(schedule.targetArn),
        ]
        if let exhausted { attributes["EXHAUSTED_RETRY_CONDITION"] = attr(exhausted) }
        let call = InternalCall(
            service: "sqs", operation: "SendMessage",
            input: ["QueueUrl": .string("\(context.endpoint)/\(parts[4])/\(parts[5])"), "MessageBody": .string(body),
                    "MessageAttributes": .object(attributes)],
            onBehalfOf: ctx, via: nil)
        return (try? await invoker.invoke(call)) != nil
    }

    /// What the last firings came to, newest last.
    func outcomes() -> [Outcome] { recentOutcomes.withLock { $0 } }
}
