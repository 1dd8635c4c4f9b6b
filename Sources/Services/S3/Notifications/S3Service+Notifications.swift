import SimfraCore

/// Bucket notifications: saving a configuration (validated, destinations tested as S3 tests
/// them) and the events object operations emit once they committed.
extension S3Service {
    /// Where `prepareInput` keeps the configuration as the client sent it: S3 answers its
    /// own errors for unknown event names and lower-case filter rule names (which S3 accepts),
    /// so the payload stays out of the model's enum validation.
    static let rawNotificationKey = "_NotificationConfiguration"

    /// The MD5 ETag S3 reports for a delete marker (recorded: the empty body's).
    static let emptyETag = "d41d8cd98f00b204e9800998ecf8427e"

    // MARK: - Emitting

    /// An event about `key`, stamped now. Only called when the bucket has a configuration.
    func event(_ name: String, scope: NotificationScope, key: String, size: Int64? = nil, etag: String? = nil,
               versionId: String? = nil, sequencer: String?, context: RequestContext) -> NotificationEvent
    {
        let t = clock.now()
        return NotificationEvent(
            name: name, bucket: scope.bucket, bucketOwner: scope.owner, region: scope.region, key: key, size: size,
            etag: etag.map { $0.replacingOccurrences(of: "\"", with: "") },
            versionId: versionId == "null" ? nil : versionId, sequencer: sequencer,
            time: t, requestId: context.requestId, principalId: S3Notifier.principalId(context), requester: context.accountId,
            // The request context carries no client address; Simfra's clients are local.
            sourceIP: "127.0.0.1")
    }

    /// An `ObjectCreated:*` event for a committed version.
    func notifyCreated(_ name: String, _ committed: Committed, context: RequestContext) {
        guard let scope = committed.scope else { return }
        let v = committed.version
        notifier.deliver([event(name, scope: scope, key: v.key, size: v.size, etag: v.etag, versionId: committed.versionId,
                                sequencer: committed.sequencer, context: context)],
                         scope: scope, context: context)
    }

    /// The `ObjectRemoved:*` event of one delete that changed something (its sequencer taken
    /// under the lock).
    func removalEvent(_ r: DeleteResult, sequencer: String, scope: NotificationScope, context: RequestContext)
        -> NotificationEvent
    {
        if r.deleteMarker && !r.byVersion {
            return event("ObjectRemoved:DeleteMarkerCreated", scope: scope, key: r.key, etag: Self.emptyETag,
                         versionId: r.deleteMarkerVersionId, sequencer: sequencer, context: context)
        }
        return event("ObjectRemoved:Delete", scope: scope, key: r.key, versionId: r.byVersion ? r.versionId : nil,
                     sequencer: sequencer, context: context)
    }

    // MARK: - Saving a configuration

    func putBucketNotificationConfiguration(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.str("Bucket") ?? ""
        let raw = input[Self.rawNotificationKey] ?? input["NotificationConfiguration"] ?? [:]
        // A missing bucket answers NoSuchBucket before anything in the payload is looked at.
        let region = try readBucket(input, context) { (b: Bucket) throws(AWSError) -> String in b.region }
        let parsed = try BucketNotifications.parse(raw)
        // Destinations live in the bucket's region, whether or not they are tested.
        if parsed.targets.contains(where: { $0.arnParts.region != region }) {
            throw S3Errors.invalidArgument("The notification destination service region is not valid for the bucket location constraint")
        }
        if input.bool("SkipDestinationValidation") != true {
            try await testDestinations(parsed, bucket: name, context: context)
        }
        try await updateBucket(input, context) { (b: Bucket) throws(AWSError) in
            b.config["Notification"] = parsed.isEmpty ? nil : parsed.value
        }
        return [:]
    }

    /// S3's destination check: an `s3:TestEvent` to every queue and topic, sent as S3 sends
    /// notifications; a function cannot be validated (there is no Lambda yet), which S3
    /// reports as not authorised to invoke it. Every failure is listed in one
    /// InvalidArgument (`ArgumentName1`/`ArgumentValue1`, …).
    func testDestinations(_ config: BucketNotifications, bucket: String, context: RequestContext) async throws {
        let (owner, region) = try locked { s throws(AWSError) -> (String, String) in
            let b = try self.bucket(s, bucket, context)
            return (b.owner, b.region)
        }
        let scope = NotificationScope(config: config, bucket: bucket, owner: owner, region: region)
        let message = NotificationEvent.testEvent(bucket: bucket, time: clock.now(), requestId: context.requestId)
        var failures: [(String, String)] = []
        var tested = Set<String>()
        for t in config.targets where tested.insert(t.arn).inserted {
            switch t.kind {
            case .lambda:
                failures.append(("\(t.arn), null", "Not authorized to invoke function [\(t.arn)]"))
            case .queue, .topic:
                let noun = t.kind == .queue ? "queue" : "topic"
                do {
                    _ = try await invoker.invoke(S3Notifier.deliveryCall(t, message: message, scope: scope, context: context))
                } catch {
                    let missing = await destinationMissing(t, error: error, context: context)
                    failures.append((t.arn, missing
                        ? "The destination \(noun) does not exist"
                        : "Permissions on the destination \(noun) do not allow S3 to publish notifications from this bucket"))
                }
            }
        }
        guard !failures.isEmpty else { return }
        var extra: [String: Value] = [:]
        for (i, f) in failures.enumerated() {
            extra["ArgumentName\(i + 1)"] = .string(f.0)
            extra["ArgumentValue\(i + 1)"] = .string(f.1)
        }
        throw AWSError(code: "InvalidArgument", message: "Unable to validate the following destination configurations",
                       status: 400, extra: extra)
    }

    /// Whether a failed test delivery failed because the destination does not exist. S3 as a
    /// service principal is denied alike by a policy that does not allow it and by a queue
    /// that is not there, so a denial is followed by a lookup as the caller.
    func destinationMissing(_ t: NotificationTarget, error: any Error, context: RequestContext) async -> Bool {
        if Self.isMissing(error) { return true }
        guard let e = error as? AWSError, e.code.contains("AccessDenied") else { return false }
        let (region, account, name) = t.arnParts
        var ctx = context
        ctx.region = region
        let lookup: InternalCall
        if t.kind == .queue {
            lookup = InternalCall(service: "sqs", operation: "GetQueueUrl",
                                  input: ["QueueName": .string(name), "QueueOwnerAWSAccountId": .string(account)],
                                  onBehalfOf: ctx, via: Self.notificationVia)
        } else {
            lookup = InternalCall(service: "sns", operation: "GetTopicAttributes", input: ["TopicArn": .string(t.arn)],
                                  onBehalfOf: ctx, via: Self.notificationVia)
        }
        do {
            _ = try await invoker.invoke(lookup)
            return false
        } catch {
            return Self.isMissing(error)
        }
    }

    static let notificationVia = "s3.amazonaws.com"

    static func isMissing(_ error: any Error) -> Bool {
        guard let e = error as? AWSError else { return false }
        return e.code == "QueueDoesNotExist" || e.code == "AWS.SimpleQueueService.NonExistentQueue" || e.code == "NotFound"
    }
}
