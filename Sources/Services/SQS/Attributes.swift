import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// A queue's RedrivePolicy, as SQS normalises it (`maxReceiveCount` as a number).
struct RedrivePolicy: Sendable, Equatable {
    var deadLetterTargetArn: String
    var maxReceiveCount: Int

    var text: String {
        var s = "{\"deadLetterTargetArn\":"
        JSONDocument.writeString(deadLetterTargetArn, into: &s)
        s += ",\"maxReceiveCount\":\(maxReceiveCount)}"
        return s
    }
}

/// What attribute validation needs to know about a prospective dead-letter queue.
struct DeadLetterTargetInfo {
    var isFifo: Bool
    var accountId: String
    var redriveAllowPolicy: String?
}

/// A queue's configurable attributes, typed. Computed attributes (ApproximateNumber*,
/// timestamps, QueueArn) live on the queue.
struct QueueConfig: Sendable, Equatable {
    var delaySeconds = 0
    var maximumMessageSize = Limits.maxMessageBytes
    var messageRetentionPeriod = 345_600
    var receiveMessageWaitTimeSeconds = 0
    var visibilityTimeout = 30
    var policy: String?
    var redrivePolicy: RedrivePolicy?
    var redriveAllowPolicy: String?
    var kmsMasterKeyId: String?
    var kmsDataKeyReusePeriodSeconds = 300
    var sqsManagedSseEnabled = true
    // FIFO only
    var contentBasedDeduplication = false
    var deduplicationScope = "queue"
    var fifoThroughputLimit = "perQueue"

    var dedupPerMessageGroup: Bool { deduplicationScope == "messageGroup" }

    /// The stored attributes as GetQueueAttributes shows them, in AWS's canonical text.
    func storedAttributes(isFifo: Bool) -> [(String, String)] {
        var out: [(String, String)] = [
            ("DelaySeconds", String(delaySeconds)),
            ("MaximumMessageSize", String(maximumMessageSize)),
            ("MessageRetentionPeriod", String(messageRetentionPeriod)),
            ("ReceiveMessageWaitTimeSeconds", String(receiveMessageWaitTimeSeconds)),
            ("VisibilityTimeout", String(visibilityTimeout)),
            ("SqsManagedSseEnabled", sqsManagedSseEnabled ? "true" : "false"),
        ]
        if let policy { out.append(("Policy", policy)) }
        if let redrivePolicy { out.append(("RedrivePolicy", redrivePolicy.text)) }
        if let redriveAllowPolicy { out.append(("RedriveAllowPolicy", redriveAllowPolicy)) }
        if let kmsMasterKeyId {
            out.append(("KmsMasterKeyId", kmsMasterKeyId))
            out.append(("KmsDataKeyReusePeriodSeconds", String(kmsDataKeyReusePeriodSeconds)))
        }
        if isFifo {
            out.append(("FifoQueue", "true"))
            out.append(("ContentBasedDeduplication", contentBasedDeduplication ? "true" : "false"))
            out.append(("DeduplicationScope", deduplicationScope))
            out.append(("FifoThroughputLimit", fifoThroughputLimit))
        }
        return out
    }

    func storedValue(_ name: String, isFifo: Bool) -> String? {
        storedAttributes(isFifo: isFifo).first(where: { $0.0 == name })?.1
    }
}

/// Attribute names, validation and AWS's messages for CreateQueue / SetQueueAttributes.
enum QueueAttributes {
    static let computed: Set<String> = [
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
    ]
    static let common: Set<String> = [
        "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout", "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
    ]
    static let fifoOnly: Set<String> = ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]
    /// Every name GetQueueAttributes accepts.
    static let all: Set<String> = common.union(fifoOnly).union(computed).union(["All"])

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// An attribute integer: optional sign and digits, nothing else.
    static func parseInt(_ s: String) -> Int? {
        var u = Substring(s)
        var negative = false
        if u.first == "-" || u.first == "+" {
            negative = u.first == "-"
            u = u.dropFirst()
        }
        guard !u.isEmpty, u.count <= 12, u.allSatisfy({ $0 >= "0" && $0 <= "9" }), let v = Int(u) else { return nil }
        return negative ? -v : v
    }

    /// Validates `attrs` and applies them to `config`; nothing changes when it throws.
    ///
    /// - Parameters:
    ///   - creating: CreateQueue (FifoQueue may be given) rather than SetQueueAttributes.
    ///   - lookup: resolves a dead-letter target ARN, nil if no such queue.
    ///   - verifyTargets: false skips the dead-letter checks (restoring stored records).
    static func apply(
        _ attrs: [String: String], to config: inout QueueConfig, isFifo: Bool, creating: Bool,
        accountId: String, queueArn: String, verifyTargets: Bool = true,
        lookup: (String) -> DeadLetterTargetInfo?
    ) throws(AWSError) {
        let names = attrs.keys.sorted()
        for name in names {
            if common.contains(name) { continue }
            switch name {
            case "FifoQueue", "ContentBasedDeduplication":
                if !isFifo { throw SQSError.unknownAttribute(name) }
            case "DeduplicationScope", "FifoThroughputLimit":
                if !isFifo { throw SQSError.invalidAttributeName("You can specify the \(name) only when FifoQueue is set to true.") }
            default:
                throw SQSError.unknownAttribute(name)
            }
        }
        if let kms = attrs["KmsMasterKeyId"], !kms.isEmpty, let sse = attrs["SqsManagedSseEnabled"], parseBool(sse) == true {
            throw SQSError.invalidAttributeName(
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
        }

        var c = config
        func int(_ name: String, _ raw: String, _ range: ClosedRange<Int>) throws(AWSError) -> Int {
            guard let v = parseInt(raw.trimmingSpaces), range.contains(v) else { throw SQSError.invalidAttributeValue(name) }
            return v
        }
        func bool(_ name: String, _ raw: String) throws(AWSError) -> Bool {
            guard let b = parseBool(raw) else { throw SQSError.invalidAttributeValue(name) }
            return b
        }
        for name in names {
            let raw = attrs[name]!
            switch name {
            case "DelaySeconds": c.delaySeconds = try int(name, raw, 0...Limits.maxDelaySeconds)
            case "MaximumMessageSize": c.maximumMessageSize = try int(name, raw, 1024...Limits.maxMessageBytes)
            case "MessageRetentionPeriod": c.messageRetentionPeriod = try int(name, raw, 60...1_209_600)
            case "ReceiveMessageWaitTimeSeconds": c.receiveMessageWaitTimeSeconds = try int(name, raw, 0...Limits.maxWaitTimeSeconds)
            case "VisibilityTimeout": c.visibilityTimeout = try int(name, raw, 0...Limits.maxVisibilityTimeout)
            case "KmsDataKeyReusePeriodSeconds": c.kmsDataKeyReusePeriodSeconds = try int(name, raw, 60...86_400)
            case "KmsMasterKeyId":
                if raw.isEmpty {
                    c.kmsMasterKeyId = nil
                } else {
                    c.kmsMasterKeyId = raw
                    c.sqsManagedSseEnabled = false
                }
            case "SqsManagedSseEnabled":
                let b = try bool(name, raw)
                c.sqsManagedSseEnabled = b
                if b { c.kmsMasterKeyId = nil }
            case "Policy":
                if raw.isEmpty {
                    c.policy = nil
                } else {
                    // A queue policy must be one the engine can evaluate (a resource policy).
                    guard case .object? = JSONDocument.parse(raw), let v = try? JSONReader.parse(Array(raw.utf8)),
                        (try? Policy(parsing: v, kind: .resource)) != nil
                    else { throw SQSError.invalidAttributeValue(name) }
                    c.policy = raw
                }
            case "RedrivePolicy":
                c.redrivePolicy = try redrivePolicy(
                    raw, isFifo: isFifo, accountId: accountId, queueArn: queueArn, verify: verifyTargets, lookup: lookup)
            case "RedriveAllowPolicy":
                c.redriveAllowPolicy = try redriveAllowPolicy(raw)
            case "FifoQueue":
                let b = try bool(name, raw)
                if !b {
                    if creating { throw SQSError.unknownAttribute(name) }
                    throw SQSError.invalidAttributeValue(name, reason: "Modifying queue type is not supported")
                }
            case "ContentBasedDeduplication": c.contentBasedDeduplication = try bool(name, raw)
            case "DeduplicationScope":
                guard raw == "messageGroup" || raw == "queue" else { throw SQSError.invalidAttributeValue(name) }
                c.deduplicationScope = raw
            case "FifoThroughputLimit":
                guard raw == "perQueue" || raw == "perMessageGroupId" else { throw SQSError.invalidAttributeValue(name) }
                c.fifoThroughputLimit = raw
            default:
                break
            }
        }
        config = c
    }

    private static func redrivePolicy(
        _ raw: String, isFifo: Bool, accountId: String, queueArn: String, verify: Bool,
        lookup: (String) -> DeadLetterTargetInfo?
    ) throws(AWSError) -> RedrivePolicy? {
        if raw.isEmpty { return nil }
        func invalid(_ reason: String) -> AWSError {
            SQSError.invalidParameter("RedrivePolicy", value: raw, reason: reason)
        }
        guard let doc = JSONDocument.parse(raw), doc.objectMembers != nil else {
            throw invalid("Redrive policy is not a valid JSON map.")
        }
        guard let arnDoc = doc["deadLetterTargetArn"] else {
            throw invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        }
        guard let countDoc = doc["maxReceiveCount"] else {
            throw invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
        }
        guard let count = countDoc.integerValue, (1...1000).contains(count) else {
            let shown: String
            switch countDoc {
            case .string(let s): shown = s
            default: shown = countDoc.text
            }
            throw invalid("Invalid value for maxReceiveCount: \(shown), valid values are from 1 to 1000 both inclusive.")
        }
        guard let arn = arnDoc.stringValue, let target = QueueARN(arn) else {
            throw invalid("Dead letter target does not exist.")
        }
        if verify {
            guard let info = lookup(arn) else { throw invalid("Dead letter target does not exist.") }
            if info.accountId != accountId { throw invalid("Dead-letter target owner should be same as the source.") }
            if info.isFifo != isFifo { throw invalid("Dead-letter queue must be same type of queue as the source..") }
            if let allow = info.redriveAllowPolicy, let doc = JSONDocument.parse(allow) {
                let permission = doc["redrivePermission"]?.stringValue
                let sources = doc["sourceQueueArns"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if permission == "denyAll" || (permission == "byQueue" && !sources.contains(queueArn)) {
                    throw invalid("Queue \(target.name) does not allow this queue to use it as a dead-letter queue.")
                }
            }
        }
        return RedrivePolicy(deadLetterTargetArn: arn, maxReceiveCount: count)
    }

    private static func redriveAllowPolicy(_ raw: String) throws(AWSError) -> String? {
        if raw.isEmpty { return nil }
        let unsupported = SQSError.invalidParameter(
            "RedriveAllowPolicy", value: raw,
            reason: "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.")
        guard let doc = JSONDocument.parse(raw), let members = doc.objectMembers else { throw unsupported }
        guard let permission = doc["redrivePermission"]?.stringValue,
            ["allowAll", "denyAll", "byQueue"].contains(permission)
        else { throw unsupported }
        for (k, _) in members where k != "redrivePermission" && k != "sourceQueueArns" { throw unsupported }
        let sources = doc["sourceQueueArns"]
        if permission == "byQueue" {
            guard let list = sources?.arrayValue, !list.isEmpty, list.count <= 10,
                list.allSatisfy({ $0.stringValue.flatMap(QueueARN.init) != nil })
            else { throw unsupported }
        } else if sources != nil {
            throw unsupported
        }
        return raw
    }
}

/// `arn:<partition>:sqs:<region>:<account>:<name>`.
struct QueueARN: Hashable, Sendable {
    var partition: String
    var region: String
    var accountId: String
    var name: String

    init?(_ arn: String) {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sqs", !parts[1].isEmpty, !parts[3].isEmpty,
            !parts[4].isEmpty, !parts[5].isEmpty
        else { return nil }
        partition = String(parts[1])
        region = String(parts[3])
        accountId = String(parts[4])
        name = String(parts[5])
    }

    init(region: String, accountId: String, name: String) {
        partition = QueueARN.partition(for: region)
        self.region = region
        self.accountId = accountId
        self.name = name
    }

    var text: String { "arn:\(partition):sqs:\(region):\(accountId):\(name)" }

    static func partition(for region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}
