import SimfraCore

/// PublishBatch: up to ten entries, each published as Publish would; an entry's own
/// InvalidParameter lands in `Failed`, while errors about the batch or the topic fail the call.
extension SNSService {
    func publishBatch(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let topicArn = input.string("TopicArn") ?? ""
        let entries = input["PublishBatchRequestEntries"]?.listValue ?? []
        if entries.isEmpty {
            throw AWSError(code: "EmptyBatchRequest", message: "The batch request doesn't contain any entries", status: 400)
        }
        if entries.count > 10 {
            throw AWSError(code: "TooManyEntriesInBatchRequest",
                           message: "The batch request contains more entries than permissible.", status: 400)
        }
        var ids = Set<String>()
        var total = 0
        for entry in entries {
            let id = entry.string("Id") ?? ""
            if id.count > 80 {
                throw AWSError(code: "InvalidBatchEntryId",
                               message: "The Id of a batch entry in the batch request is too long: \(id)", status: 400)
            }
            if id.isEmpty || !id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) {
                throw AWSError(code: "InvalidBatchEntryId",
                               message: "The Id of a batch entry in the batch request contains an impermissible character: \(id)",
                               status: 400)
            }
            guard ids.insert(id).inserted else {
                throw AWSError(code: "BatchEntryIdsNotDistinct",
                               message: "Two or more batch entries in the request have the same Id.", status: 400)
            }
            total += (entry.string("Message") ?? "").utf8.count
        }
        if total > 262_144 {
            throw AWSError(code: "BatchRequestTooLong",
                           message: "The length of all the messages put together is more than the limit.", status: 400)
        }
        _ = try find(topicArn)
        var successful: [Value] = [], failed: [Value] = []
        for entry in entries {
            let id = entry.string("Id") ?? ""
            var one = entry.objectValue ?? [:]
            one.removeValue(forKey: "Id")
            one["TopicArn"] = .string(topicArn)
            do {
                let out = try publish(.object(one), context)
                var ok: [String: Value] = ["Id": .string(id), "MessageId": out["MessageId"] ?? .null]
                if let seq = out["SequenceNumber"] { ok["SequenceNumber"] = seq }
                successful.append(.object(ok))
            } catch {
                failed.append(["Id": .string(id), "Code": .string(error.code), "Message": .string(error.message),
                               "SenderFault": .bool(error.senderFault)])
            }
        }
        return ["Successful": .list(successful), "Failed": .list(failed)]
    }
}
