import SimfraCore

/// A message (user) attribute or message system attribute value.
struct MessageAttributeValue: Sendable, Equatable {
    var dataType: String
    var stringValue: String?
    var binaryValue: [UInt8]?
    var stringListValues: [String]?
    var binaryListValues: [[UInt8]]?

    /// The base type (`String`, `Number` or `Binary`) of a `Type.custom` data type.
    var baseType: String {
        if let dot = dataType.firstIndex(of: ".") { return String(dataType[..<dot]) }
        return dataType
    }

    /// The bytes this attribute counts towards the message size (type and value).
    var byteSize: Int {
        var n = dataType.utf8.count
        if let s = stringValue { n += s.utf8.count }
        if let b = binaryValue { n += b.count }
        for s in stringListValues ?? [] { n += s.utf8.count }
        for b in binaryListValues ?? [] { n += b.count }
        return n
    }

    var value: Value {
        var o: [String: Value] = ["DataType": .string(dataType)]
        if let stringValue { o["StringValue"] = .string(stringValue) }
        if let binaryValue { o["BinaryValue"] = .blob(binaryValue) }
        if let stringListValues { o["StringListValues"] = .list(stringListValues.map(Value.string)) }
        if let binaryListValues { o["BinaryListValues"] = .list(binaryListValues.map(Value.blob)) }
        return .object(o)
    }
}

struct NamedAttribute: Sendable, Equatable {
    var name: String
    var value: MessageAttributeValue
}

/// SQS's attribute digest: attributes sorted by name; per attribute the length-prefixed
/// name and data type, a transport byte (1 string, 2 binary, 3 string list, 4 binary
/// list), then the length-prefixed value(s); MD5 of the lot, in hex.
enum MessageDigest {
    static func attributesMD5(_ attributes: [NamedAttribute]) -> String {
        var md5 = MD5()
        for a in attributes {
            md5.updateLengthPrefixed(a.name)
            md5.updateLengthPrefixed(a.value.dataType)
            if let s = a.value.stringValue {
                md5.update([1])
                md5.updateLengthPrefixed(s)
            } else if let b = a.value.binaryValue {
                md5.update([2])
                md5.updateLengthPrefixed(b)
            } else if let l = a.value.stringListValues {
                md5.update([3])
                for s in l { md5.updateLengthPrefixed(s) }
            } else if let l = a.value.binaryListValues {
                md5.update([4])
                for b in l { md5.updateLengthPrefixed(b) }
            }
        }
        return Hex.encode(md5.finalize())
    }

    /// Attribute names in the order the digest (and Java's `TreeMap`) uses: UTF-16 code units.
    static func sorted(_ attributes: [NamedAttribute]) -> [NamedAttribute] {
        attributes.sorted { $0.name.utf16.lexicographicallyPrecedes($1.name.utf16) }
    }
}

/// A message as validated outside the lock, ready to enqueue.
struct PreparedMessage: Sendable {
    var body: String
    var md5OfBody: String
    var attributes: [NamedAttribute]
    var md5OfAttributes: String?
    var systemAttributes: [NamedAttribute]
    var md5OfSystemAttributes: String?
    var senderId: String
    var delaySeconds: Int?
    var groupId: String?
    var deduplicationId: String?
}

enum MessageState: UInt8 {
    case delayed, visible, inflight, deleted
}

/// One message in a queue. Owned by its queue and only touched under the service lock.
final class SQSMessage {
    let serial: UInt64
    let messageId: String
    let body: String
    let md5OfBody: String
    let attributes: [NamedAttribute]
    let md5OfAttributes: String?
    let systemAttributes: [NamedAttribute]
    let md5OfSystemAttributes: String?
    let senderId: String
    /// SentTimestamp, epoch milliseconds.
    let sentTimestamp: Int64
    let groupId: String?
    let deduplicationId: String?
    var sequenceNumber: String?
    /// Retention counts from here (the original send for standard queues, even after a
    /// dead-letter move; the move for FIFO queues).
    var enqueuedAt: Double
    var receiveCount = 0
    var firstReceiveTimestamp: Int64?
    var deadLetterSourceArn: String?

    var state: MessageState
    /// When a delayed or in-flight message becomes visible.
    var visibleAt: Double
    /// When the current in-flight period began (the 12-hour visibility limit).
    var receivedAt = 0.0
    /// Bumped on every receive; receipt handles carry it.
    var receiveNumber: UInt32 = 0
    var receiptHandle: String?
    var visibilityIndex = -1
    var retentionIndex = -1
    /// Standard queues: which entry of the visible ring is current.
    var visibleEpoch: UInt32 = 0

    init(serial: UInt64, messageId: String, prepared p: PreparedMessage, sentTimestamp: Int64, enqueuedAt: Double,
         state: MessageState, visibleAt: Double)
    {
        self.serial = serial
        self.messageId = messageId
        body = p.body
        md5OfBody = p.md5OfBody
        attributes = p.attributes
        md5OfAttributes = p.md5OfAttributes
        systemAttributes = p.systemAttributes
        md5OfSystemAttributes = p.md5OfSystemAttributes
        senderId = p.senderId
        self.sentTimestamp = sentTimestamp
        groupId = p.groupId
        deduplicationId = p.deduplicationId
        self.enqueuedAt = enqueuedAt
        self.state = state
        self.visibleAt = visibleAt
    }

    /// A copy for another queue (dead-letter move or redrive), carrying over what AWS keeps.
    init(moving m: SQSMessage, serial: UInt64, enqueuedAt: Double) {
        self.serial = serial
        messageId = m.messageId
        body = m.body
        md5OfBody = m.md5OfBody
        attributes = m.attributes
        md5OfAttributes = m.md5OfAttributes
        systemAttributes = m.systemAttributes
        md5OfSystemAttributes = m.md5OfSystemAttributes
        senderId = m.senderId
        sentTimestamp = m.sentTimestamp
        groupId = m.groupId
        deduplicationId = m.deduplicationId
        self.enqueuedAt = enqueuedAt
        receiveCount = m.receiveCount
        firstReceiveTimestamp = m.firstReceiveTimestamp
        deadLetterSourceArn = m.deadLetterSourceArn
        state = .visible
        visibleAt = enqueuedAt
    }

    var prepared: PreparedMessage {
        PreparedMessage(
            body: body, md5OfBody: md5OfBody, attributes: attributes, md5OfAttributes: md5OfAttributes,
            systemAttributes: systemAttributes, md5OfSystemAttributes: md5OfSystemAttributes, senderId: senderId,
            delaySeconds: nil, groupId: groupId, deduplicationId: deduplicationId)
    }

    /// What a receive returns, copied out so it can be rendered outside the lock.
    var snapshot: ReceivedMessage {
        ReceivedMessage(
            messageId: messageId, receiptHandle: receiptHandle ?? "", body: body, md5OfBody: md5OfBody,
            attributes: attributes, md5OfAttributes: md5OfAttributes, systemAttributes: systemAttributes,
            senderId: senderId, sentTimestamp: sentTimestamp, receiveCount: receiveCount,
            firstReceiveTimestamp: firstReceiveTimestamp ?? 0, groupId: groupId, deduplicationId: deduplicationId,
            sequenceNumber: sequenceNumber, deadLetterSourceArn: deadLetterSourceArn)
    }
}

/// A received message, detached from the queue.
struct ReceivedMessage: Sendable {
    var messageId: String
    var receiptHandle: String
    var body: String
    var md5OfBody: String
    var attributes: [NamedAttribute]
    var md5OfAttributes: String?
    var systemAttributes: [NamedAttribute]
    var senderId: String
    var sentTimestamp: Int64
    var receiveCount: Int
    var firstReceiveTimestamp: Int64
    var groupId: String?
    var deduplicationId: String?
    var sequenceNumber: String?
    var deadLetterSourceArn: String?
}
