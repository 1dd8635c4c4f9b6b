import SimfraCore

/// What sending needs to know about the target queue, read under the lock first so the
/// expensive work (character checks, digests, SHA-256) happens outside it.
struct QueueSendFacts: Sendable {
    var isFifo: Bool
    var maximumMessageSize: Int
    var contentBasedDeduplication: Bool
}

/// Validation and digests of message bodies and attributes, with SQS's messages.
enum MessageValidation {
    /// SQS's allowed characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
    /// Returns the first scalar outside the set.
    static func firstInvalidCharacter(_ s: String) -> Unicode.Scalar? {
        // Fast path: printable ASCII and tab/newline/return only.
        var s = s
        let asciiClean: Bool = s.withUTF8 { buf in
            for b in buf where b < 0x20 || b >= 0x7F {
                if b == 0x09 || b == 0x0A || b == 0x0D { continue }
                return false
            }
            return true
        }
        if asciiClean { return nil }
        for u in s.unicodeScalars {
            switch u.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: continue
            default: return u
            }
        }
        return nil
    }

    /// MessageGroupId / MessageDeduplicationId: 1 to 128 printable ASCII characters.
    static func isValidFifoId(_ s: String) -> Bool {
        let u = s.utf8
        return !u.isEmpty && u.count <= 128 && u.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    static func parseAttributeValue(_ v: Value) -> MessageAttributeValue {
        MessageAttributeValue(
            dataType: v.string("DataType") ?? "",
            stringValue: v.string("StringValue"),
            binaryValue: { if case .blob(let b)? = v["BinaryValue"] { return b } else { return nil } }(),
            stringListValues: v.stringList("StringListValues").flatMap { $0.isEmpty ? nil : $0 },
            binaryListValues: v["BinaryListValues"]?.listValue.flatMap { l -> [[UInt8]]? in
                let bs = l.compactMap { if case .blob(let b) = $0 { return b } else { return nil } }
                return bs.isEmpty ? nil : bs
            })
    }

    /// Message (user) attributes, validated, sorted for the digest.
    static func userAttributes(_ raw: Value?) throws(AWSError) -> [NamedAttribute] {
        guard let o = raw?.objectValue, !o.isEmpty else { return [] }
        if o.count > Limits.maxMessageAttributes {
            throw SQSError.invalidParameterValue(
                "Number of message attributes [\(o.count)] exceeds the allowed maximum [\(Limits.maxMessageAttributes)].")
        }
        var out: [NamedAttribute] = []
        for (name, v) in o {
            try validateAttributeName(name)
            let value = parseAttributeValue(v)
            try validateAttributeValue(name, value, kind: "user")
            out.append(NamedAttribute(name: name, value: value))
        }
        return MessageDigest.sorted(out)
    }

    /// Message system attributes (only AWSTraceHeader, a String).
    static func systemAttributes(_ raw: Value?) throws(AWSError) -> [NamedAttribute] {
        guard let o = raw?.objectValue, !o.isEmpty else { return [] }
        var out: [NamedAttribute] = []
        for (name, v) in o {
            let value = parseAttributeValue(v)
            guard value.dataType == "String", let s = value.stringValue, !s.isEmpty else {
                throw SQSError.invalidParameterValue(
                    "Message (system) attribute '\(name)' must contain a non-empty value of type 'String'.")
            }
            out.append(NamedAttribute(name: name, value: value))
        }
        return MessageDigest.sorted(out)
    }

    static func validateAttributeName(_ name: String) throws(AWSError) {
        if name.utf8.count >= 256 {
            throw SQSError.invalidParameterValue("Message (user) attribute names must be shorter than 256 Bytes")
        }
        let allowedChars = !name.isEmpty && name.unicodeScalars.allSatisfy { u in
            switch u.value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0xC0...0x17F: return true
            default: return false
            }
        }
        if !allowedChars {
            throw SQSError.invalidParameterValue(
                "Message (user) attributes name can only contain upper and lower score characters, digits, periods, "
                    + "hyphens and underscores. ")
        }
        let lower = name.lowercased()
        if lower.hasPrefix("aws.") || lower.hasPrefix("amazon.") || name.hasPrefix(".") || name.hasSuffix(".")
            || name.contains("..")
        {
            throw SQSError.invalidParameterValue(
                "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved "
                    + "for internal use. Additionally, they cannot start or end with '.'.")
        }
    }

    static func validateAttributeValue(_ name: String, _ v: MessageAttributeValue, kind: String) throws(AWSError) {
        if v.dataType.isEmpty {
            throw SQSError.invalidParameterValue("The message attribute '\(name)' must contain non-empty message attribute type.")
        }
        if v.dataType.utf8.count >= 256 {
            throw SQSError.invalidParameterValue("Message (\(kind)) attribute types must be shorter than 256 Bytes")
        }
        let base = v.baseType
        guard base == "String" || base == "Number" || base == "Binary",
            v.dataType == base || v.dataType.count > base.count + 1
        else {
            throw SQSError.invalidParameterValue(
                "Type for parameter MessageAttributes.Attribute_name.DataType must be prefixed with \"String\", "
                    + "\"Binary\", or \"Number\", but was: \(v.dataType)")
        }
        let empty = SQSError.invalidParameterValue(
            "Message (\(kind)) attribute '\(name)' must contain a non-empty value of type '\(base)'.")
        switch base {
        case "Binary":
            guard (v.binaryValue.map { !$0.isEmpty } ?? false) || v.binaryListValues != nil else { throw empty }
        default:
            if let l = v.stringListValues, v.stringValue == nil {
                for s in l {
                    if let bad = firstInvalidCharacter(s) {
                        throw SQSError.invalidParameterValue(SQSError.invalidContentsMessage(bad))
                    }
                }
                return
            }
            guard let s = v.stringValue, !s.isEmpty else { throw empty }
            if base == "Number" {
                let t = s.trimmingSpaces
                guard !t.isEmpty, Double(t) != nil, t.utf8.count <= 40 else {
                    throw SQSError.invalidParameterValue("Can't cast the value of message (\(kind)) attribute '\(name)' to a number.")
                }
            }
            if let bad = firstInvalidCharacter(s) {
                throw SQSError.invalidParameterValue(SQSError.invalidContentsMessage(bad))
            }
        }
    }

    static func attributesSize(_ attrs: [NamedAttribute]) -> Int {
        attrs.reduce(0) { $0 + $1.name.utf8.count + $1.value.byteSize }
    }

    /// Validates one SendMessage request or SendMessageBatch entry against the queue and
    /// computes its digests.
    /// - Parameter batch: SendMessageBatch wording for the errors that differ.
    static func prepare(_ entry: Value, queue: QueueSendFacts, senderId: String, batch: Bool) throws(AWSError)
        -> PreparedMessage
    {
        let body = entry.string("MessageBody") ?? ""
        if body.isEmpty { throw SQSError.missingParameter("MessageBody") }
        if let bad = firstInvalidCharacter(body) { throw SQSError.invalidMessageContents(bad) }
        var delay: Int?
        if let d = entry.int("DelaySeconds") {
            guard (0...Limits.maxDelaySeconds).contains(d) else {
                throw SQSError.invalidParameter(
                    "DelaySeconds", value: String(d), reason: "DelaySeconds must be >= 0 and <= 900.")
            }
            if queue.isFifo && d != 0 {
                throw SQSError.invalidParameter(
                    "DelaySeconds", value: String(d),
                    reason: "The request include parameter that is not valid for this queue type.")
            }
            delay = d
        }
        let attributes = try userAttributes(entry["MessageAttributes"])
        let system = try systemAttributes(entry["MessageSystemAttributes"])
        let size = body.utf8.count + attributesSize(attributes)
        if size > queue.maximumMessageSize {
            if batch {
                throw SQSError.invalidParameterValue(
                    "One or more parameters cannot be validated. Reason: Message must be shorter than \(queue.maximumMessageSize) bytes.")
            }
            throw SQSError.messageTooLong(queue.maximumMessageSize)
        }
        let groupId = entry.string("MessageGroupId")
        if let g = groupId, !isValidFifoId(g) {
            throw SQSError.invalidParameter(
                "MessageGroupId", value: g,
                reason: "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
        var dedupId = entry.string("MessageDeduplicationId")
        if let d = dedupId {
            if !queue.isFifo {
                throw SQSError.invalidParameter(
                    "MessageDeduplicationId", value: d,
                    reason: "The request includes a parameter that is not valid for this queue type.")
            }
            if !isValidFifoId(d) {
                throw SQSError.invalidParameter(
                    "MessageDeduplicationId", value: d,
                    reason: "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
            }
        }
        if queue.isFifo {
            if groupId == nil {
                if batch { throw SQSError.invalidParameterValue("The request must contain the parameter MessageGroupId.") }
                throw SQSError.missingParameter("MessageGroupId")
            }
            if dedupId == nil {
                guard queue.contentBasedDeduplication else {
                    throw SQSError.invalidParameterValue(
                        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                dedupId = BodySHA256.hex(body)
            }
        }
        return PreparedMessage(
            body: body, md5OfBody: MD5.hex(body), attributes: attributes,
            md5OfAttributes: attributes.isEmpty ? nil : MessageDigest.attributesMD5(attributes),
            systemAttributes: system, md5OfSystemAttributes: system.isEmpty ? nil : MessageDigest.attributesMD5(system),
            senderId: senderId, delaySeconds: delay, groupId: groupId, deduplicationId: dedupId)
    }

    /// Batch-level checks shared by the three batch operations; returns the entries.
    static func batchEntries(_ input: Value, entryName: String) throws(AWSError) -> [Value] {
        let entries = input["Entries"]?.listValue ?? []
        if entries.isEmpty { throw SQSError.emptyBatchRequest(entryName) }
        if entries.count > Limits.maxBatchEntries { throw SQSError.tooManyEntriesInBatchRequest(entries.count) }
        var seen = Set<String>()
        for e in entries {
            let id = e.string("Id") ?? ""
            let valid = !id.isEmpty && id.utf8.count <= 80 && id.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
            if !valid { throw SQSError.invalidBatchEntryId() }
        }
        for e in entries {
            let id = e.string("Id") ?? ""
            if !seen.insert(id).inserted { throw SQSError.batchEntryIdsNotDistinct(id) }
        }
        return entries
    }

    /// A batch result's failure entry for an error.
    static func failure(_ id: String, _ error: any Error) -> Value {
        let e = error as? AWSError ?? AWSError.internalFailure("An internal error occurred")
        return [
            "Id": .string(id), "SenderFault": .bool(e.senderFault), "Code": .string(e.queryCode ?? e.code),
            "Message": .string(e.message),
        ]
    }
}
