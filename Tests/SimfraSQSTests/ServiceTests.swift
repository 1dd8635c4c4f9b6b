import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSQS

/// The service through its `handle` entry point, with inputs shaped as the codec
/// produces them (member names of the input shapes).
@Suite struct ServiceTests {
    let clock = ManualClock()
    let records = InMemoryRecords()
    var sqs: SQSService { SQSService(records: records, clock: clock) }

    func create(_ s: SQSService, _ name: String, _ attrs: [String: Value] = [:]) async throws -> String {
        let out = try await s.call("CreateQueue", ["QueueName": .string(name), "Attributes": .object(attrs)])
        return try #require(out.string("QueueUrl"))
    }

    @Test func createGetListDelete() async throws {
        let s = sqs
        let url = try await create(s, "orders")
        #expect(url == "http://localhost:4599/000000000000/orders")
        // Idempotent with identical attributes.
        #expect(try await create(s, "orders") == url)
        _ = try await create(s, "orders-dlq")
        _ = try await create(s, "other")
        #expect(try await s.call("GetQueueUrl", ["QueueName": "orders"]).string("QueueUrl") == url)
        let listed = try await s.call("ListQueues", ["QueueNamePrefix": "orders"])
        #expect(listed.stringList("QueueUrls") == [url, url + "-dlq"])
        // Pagination.
        let p1 = try await s.call("ListQueues", ["MaxResults": 2])
        #expect(p1.stringList("QueueUrls")?.count == 2)
        let token = try #require(p1.string("NextToken"))
        let p2 = try await s.call("ListQueues", ["MaxResults": 2, "NextToken": .string(token)])
        #expect(p2.stringList("QueueUrls") == ["http://localhost:4599/000000000000/other"])
        #expect(p2.string("NextToken") == nil)
        // Any host works, and a bare name too.
        _ = try await s.call("GetQueueAttributes", ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/orders"])
        _ = try await s.call("GetQueueAttributes", ["QueueUrl": "orders"])
        _ = try await s.call("DeleteQueue", ["QueueUrl": .string(url)])
        let e = await s.callError("GetQueueUrl", ["QueueName": "orders"])
        #expect(e?.code == "QueueDoesNotExist")
        #expect(e?.queryCode == "AWS.SimpleQueueService.NonExistentQueue")
        #expect(e?.message == "The specified queue does not exist.")
        #expect(records.count == 2)
    }

    @Test func crossAccountGetQueueUrl() async throws {
        let s = sqs
        let other = TestContext.make(account: "111111111111")
        _ = try await s.call("CreateQueue", ["QueueName": "shared"], context: other)
        let url = try await s.call("GetQueueUrl", ["QueueName": "shared", "QueueOwnerAWSAccountId": "111111111111"])
        #expect(url.string("QueueUrl") == "http://localhost:4599/111111111111/shared")
        #expect(await s.callError("GetQueueUrl", ["QueueName": "shared"])?.code == "QueueDoesNotExist")
    }

    @Test func createQueueConflictsAndValidation() async throws {
        let s = sqs
        _ = try await create(s, "q", ["DelaySeconds": "5"])
        let e = await s.callError("CreateQueue", ["QueueName": "q", "Attributes": ["DelaySeconds": "6"]])
        #expect(e?.code == "QueueNameExists")
        #expect(e?.queryCode == "QueueAlreadyExists")
        #expect(e?.message == "A queue already exists with the same name and a different value for attribute DelaySeconds")
        func err(_ attrs: [String: Value], name: String = "v") async -> AWSError? {
            await s.callError("CreateQueue", ["QueueName": .string(name), "Attributes": .object(attrs)])
        }
        #expect(await err(["DelaySeconds": "901"])?.message == "Invalid value for the parameter DelaySeconds.")
        #expect(await err(["MaximumMessageSize": "1023"])?.code == "InvalidAttributeValue")
        #expect(await err(["MessageRetentionPeriod": "59"])?.code == "InvalidAttributeValue")
        #expect(await err(["ReceiveMessageWaitTimeSeconds": "21"])?.code == "InvalidAttributeValue")
        #expect(await err(["VisibilityTimeout": "43201"])?.code == "InvalidAttributeValue")
        #expect(await err(["VisibilityTimeout": "abc"])?.code == "InvalidAttributeValue")
        #expect(await err(["FifoQueue": "false"])?.message == "Unknown Attribute FifoQueue.")
        #expect(await err(["ContentBasedDeduplication": "true"])?.message == "Unknown Attribute ContentBasedDeduplication.")
        #expect(await err(["FifoThroughputLimit": "perQueue"])?.message
            == "You can specify the FifoThroughputLimit only when FifoQueue is set to true.")
        #expect(await err(["Bogus": "1"])?.message == "Unknown Attribute Bogus.")
        #expect(await err(["FifoQueue": "true"])?.message
            == "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length")
        #expect(await err([:], name: "bad.fifo")?.message
            == "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        #expect(await err([:], name: String(repeating: "a", count: 81))?.code == "InvalidParameterValueException")
        #expect(await err(["RedrivePolicy": "{\"maxReceiveCount\":\"3\"}"])?.message
            == "Value {\"maxReceiveCount\":\"3\"} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        #expect(await err(["RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:nope\",\"maxReceiveCount\":3}"])?
            .message.hasSuffix("Reason: Dead letter target does not exist.") == true)
        #expect(await err(["KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"])?.code == "InvalidAttributeName")
    }

    @Test func queueAttributes() async throws {
        let s = sqs
        let url = try await create(s, "q.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"])
        let all = try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]])
        let a = try #require(all["Attributes"]?.objectValue)
        #expect(a["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:q.fifo")
        #expect(a["FifoQueue"] == "true")
        #expect(a["ContentBasedDeduplication"] == "true")
        #expect(a["DeduplicationScope"] == "queue")
        #expect(a["FifoThroughputLimit"] == "perQueue")
        #expect(a["VisibilityTimeout"] == "30")
        #expect(a["MaximumMessageSize"] == "1048576")
        #expect(a["MessageRetentionPeriod"] == "345600")
        #expect(a["SqsManagedSseEnabled"] == "true")
        #expect(a["ApproximateNumberOfMessages"] == "0")
        #expect(a["CreatedTimestamp"] == .string(String(Int64(clock.now()))))
        #expect(a["Policy"] == nil)
        clock.advance(10)
        _ = try await s.call("SetQueueAttributes", [
            "QueueUrl": .string(url),
            "Attributes": ["VisibilityTimeout": "60", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"],
        ])
        let some = try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["VisibilityTimeout", "LastModifiedTimestamp"]])
        #expect(some["Attributes"] == ["VisibilityTimeout": "60", "LastModifiedTimestamp": .string(String(Int64(clock.now())))])
        let e1 = await s.callError("SetQueueAttributes", ["QueueUrl": .string(url), "Attributes": ["FifoQueue": "false"]])
        #expect(e1?.message == "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
        let e2 = await s.callError("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["Nope"]])
        #expect(e2?.code == "InvalidAttributeName")
        #expect(e2?.message == "Unknown Attribute Nope.")
        // KMS and SQS-managed SSE.
        _ = try await s.call("SetQueueAttributes", ["QueueUrl": .string(url), "Attributes": ["KmsMasterKeyId": "alias/k", "KmsDataKeyReusePeriodSeconds": "600"]])
        let kms = try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"]])
        #expect(kms["Attributes"] == ["KmsMasterKeyId": "alias/k", "KmsDataKeyReusePeriodSeconds": "600", "SqsManagedSseEnabled": "false"])
    }

    @Test func sendReceiveDeleteWithAttributes() async throws {
        let s = sqs
        let url = try await create(s, "q")
        let sent = try await s.call("SendMessage", [
            "QueueUrl": .string(url), "MessageBody": "msg",
            "MessageAttributes": [
                "Hello": ["DataType": "String", "StringValue": "There"],
                "Help.Me": ["DataType": "String", "StringValue": "Me"],
                "General": ["DataType": "String", "StringValue": "Kenobi"],
            ],
            "MessageSystemAttributes": ["AWSTraceHeader": ["DataType": "String", "StringValue": "Root=1-abc"]],
        ])
        #expect(sent.string("MD5OfMessageBody") == "6e2baaf3b97dbeef01c0043275f9a0e7")
        #expect(sent.string("MD5OfMessageAttributes") == "4c360f3fdafd970e05fae2f149d997f5")
        #expect(sent.string("MD5OfMessageSystemAttributes") != nil)
        #expect(sent.string("SequenceNumber") == nil)
        let got = try await s.call("ReceiveMessage", [
            "QueueUrl": .string(url), "MessageAttributeNames": ["Hel.*"], "AttributeNames": ["SenderId", "AWSTraceHeader", "Policy"],
        ])
        let m = try #require(got["Messages"]?.listValue?.first)
        #expect(m.string("MessageId") == sent.string("MessageId"))
        #expect(m.string("MD5OfBody") == "6e2baaf3b97dbeef01c0043275f9a0e7")
        #expect(m["Attributes"] == ["SenderId": "000000000000", "AWSTraceHeader": "Root=1-abc"])
        #expect(m["MessageAttributes"]?.objectValue?.keys.sorted() == ["Hello", "Help.Me"])
        #expect(m.string("MD5OfMessageAttributes") == "83fee93c1bcd8b9a5a923ffacdc636c7")
        _ = try await s.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": .string(m.string("ReceiptHandle")!)])
        #expect(try await s.call("ReceiveMessage", ["QueueUrl": .string(url)]) == .empty)
    }

    @Test func messageValidationErrors() async throws {
        let s = sqs
        let url = try await create(s, "q", ["MaximumMessageSize": "1024"])
        func err(_ extra: [String: Value]) async -> AWSError? {
            var input: [String: Value] = ["QueueUrl": .string(url), "MessageBody": "ok"]
            for (k, v) in extra { input[k] = v }
            return await s.callError("SendMessage", .object(input))
        }
        let e1 = await err(["MessageBody": "bad\u{0}body"])
        #expect(e1?.code == "InvalidMessageContents")
        #expect(e1?.message == "Invalid binary character '#x0' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].")
        #expect(await err(["MessageBody": "\u{FFFF}"])?.message.hasPrefix("Invalid binary character '#xFFFF'") == true)
        #expect(await err(["MessageBody": ""])?.queryCode == "MissingParameter")
        let big = await err(["MessageBody": .string(String(repeating: "a", count: 1025))])
        #expect(big?.message == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
        #expect(await err(["MessageBody": .string(String(repeating: "a", count: 1024))]) == nil)
        #expect(await err(["DelaySeconds": 901])?.message == "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
        #expect(await err(["MessageAttributes": ["E": ["DataType": "String", "StringValue": ""]]])?.message
            == "Message (user) attribute 'E' must contain a non-empty value of type 'String'.")
        #expect(await err(["MessageAttributes": ["N": ["DataType": "Number", "StringValue": "x"]]])?.code == "InvalidParameterValueException")
        #expect(await err(["MessageAttributes": ["AWS.x": ["DataType": "String", "StringValue": "v"]]])?.code == "InvalidParameterValueException")
        #expect(await err(["MessageAttributes": ["a": ["DataType": "Strung", "StringValue": "v"]]])?.code == "InvalidParameterValueException")
        #expect(await err(["MessageDeduplicationId": "d"])?.message
            == "Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.")
        #expect(await err(["MessageGroupId": "group 1"])?.message
            == "Value group 1 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        let r = await s.callError("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 11])
        #expect(r?.message == "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
        let w = await s.callError("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 21])
        #expect(w?.message == "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
    }

    @Test func batchErrorsAndPartialFailures() async throws {
        let s = sqs
        let url = try await create(s, "q", ["MaximumMessageSize": "1024"])
        func entries(_ n: Int) -> Value { .list((0..<n).map { ["Id": .string("e\($0)"), "MessageBody": "x"] }) }
        let tooMany = await s.callError("SendMessageBatch", ["QueueUrl": .string(url), "Entries": entries(11)])
        #expect(tooMany?.code == "TooManyEntriesInBatchRequest")
        #expect(tooMany?.queryCode == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        #expect(tooMany?.message == "Maximum number of entries per request are 10. You have sent 11.")
        let empty = await s.callError("SendMessageBatch", ["QueueUrl": .string(url), "Entries": []])
        #expect(empty?.code == "EmptyBatchRequest")
        let dup = await s.callError("DeleteMessageBatch", ["QueueUrl": .string(url), "Entries": [
            ["Id": "a", "ReceiptHandle": "x"], ["Id": "a", "ReceiptHandle": "y"],
        ]])
        #expect(dup?.code == "BatchEntryIdsNotDistinct")
        #expect(dup?.message == "Id a repeated.")
        let badId = await s.callError("SendMessageBatch", ["QueueUrl": .string(url), "Entries": [["Id": "a b", "MessageBody": "x"]]])
        #expect(badId?.code == "InvalidBatchEntryId")
        let url2 = try await create(s, "big")
        let huge = String(repeating: "a", count: 600_000)
        let tooLong = await s.callError("SendMessageBatch", ["QueueUrl": .string(url2), "Entries": [
            ["Id": "a", "MessageBody": .string(huge)], ["Id": "b", "MessageBody": .string(huge)],
        ]])
        #expect(tooLong?.code == "BatchRequestTooLong")
        #expect(tooLong?.message == "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.")
        let partial = try await s.call("SendMessageBatch", ["QueueUrl": .string(url), "Entries": [
            ["Id": "ok", "MessageBody": "fine"],
            ["Id": "big", "MessageBody": .string(String(repeating: "a", count: 1025))],
            ["Id": "bad", "MessageBody": "\u{1}"],
        ]])
        #expect(partial["Successful"]?.listValue?.map { $0.string("Id") } == ["ok"])
        let failed = try #require(partial["Failed"]?.listValue)
        #expect(failed.map { $0.string("Id") } == ["big", "bad"])
        #expect(failed[0] == ["Id": "big", "SenderFault": true, "Code": "InvalidParameterValue",
                              "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."])
        #expect(failed[1].string("Code") == "InvalidMessageContents")
        // Delete batch: one good handle, one garbage.
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        let handle = try #require(got["Messages"]?.listValue?.first?.string("ReceiptHandle"))
        let del = try await s.call("DeleteMessageBatch", ["QueueUrl": .string(url), "Entries": [
            ["Id": "1", "ReceiptHandle": .string(handle)], ["Id": "2", "ReceiptHandle": "garbage"],
        ]])
        #expect(del["Successful"] == [["Id": "1"]])
        #expect(del["Failed"] == [["Id": "2", "SenderFault": true, "Code": "ReceiptHandleIsInvalid",
                                   "Message": "The input receipt handle \"garbage\" is not a valid receipt handle."]])
    }

    @Test func fifoThroughService() async throws {
        let s = sqs
        let url = try await create(s, "f.fifo", ["FifoQueue": "true"])
        let missingGroup = await s.callError("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x", "MessageDeduplicationId": "1"])
        #expect(missingGroup?.code == "MissingRequiredParameterException")
        #expect(missingGroup?.queryCode == "MissingParameter")
        #expect(missingGroup?.message == "The request must contain the parameter MessageGroupId.")
        let noDedup = await s.callError("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x", "MessageGroupId": "g"])
        #expect(noDedup?.message == "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
        let delay = await s.callError("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1", "DelaySeconds": 2])
        #expect(delay?.message == "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
        let a = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1", "DelaySeconds": 0])
        let b = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "y", "MessageGroupId": "g", "MessageDeduplicationId": "1"])
        #expect(a.string("MessageId") == b.string("MessageId"))
        #expect(a.string("SequenceNumber")?.count == 20)
        // Content-based deduplication uses the body's SHA-256.
        let cbd = try await create(s, "c.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"])
        _ = try await s.call("SendMessage", ["QueueUrl": .string(cbd), "MessageBody": "abc", "MessageGroupId": "g"])
        _ = try await s.call("SendMessage", ["QueueUrl": .string(cbd), "MessageBody": "abc", "MessageGroupId": "g"])
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(cbd), "MaxNumberOfMessages": 10, "MessageSystemAttributeNames": ["All"]])
        let msgs = try #require(got["Messages"]?.listValue)
        #expect(msgs.count == 1)
        #expect(msgs[0]["Attributes"]?.string("MessageDeduplicationId") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(msgs[0]["Attributes"]?.string("MessageGroupId") == "g")
        #expect(msgs[0]["Attributes"]?.string("SequenceNumber")?.count == 20)
    }

    @Test func purgeInProgress() async throws {
        let s = sqs
        let url = try await create(s, "p")
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x"])
        _ = try await s.call("PurgeQueue", ["QueueUrl": .string(url)])
        let e = await s.callError("PurgeQueue", ["QueueUrl": .string(url)])
        #expect(e?.code == "PurgeQueueInProgress")
        #expect(e?.status == 403)
        #expect(e?.message == "Only one PurgeQueue operation on p is allowed every 60 seconds.")
        clock.advance(60)
        _ = try await s.call("PurgeQueue", ["QueueUrl": .string(url)])
    }

    @Test func tagsAndPermissions() async throws {
        let s = sqs
        let url = try await s.call("CreateQueue", ["QueueName": "t", "tags": ["a": "1"]]).string("QueueUrl")!
        _ = try await s.call("TagQueue", ["QueueUrl": .string(url), "Tags": ["b": "2", "c": ""]])
        _ = try await s.call("UntagQueue", ["QueueUrl": .string(url), "TagKeys": ["a"]])
        #expect(try await s.call("ListQueueTags", ["QueueUrl": .string(url)]) == ["Tags": ["b": "2", "c": ""]])
        _ = try await s.call("AddPermission", ["QueueUrl": .string(url), "Label": "l1", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]])
        _ = try await s.call("AddPermission", ["QueueUrl": .string(url), "Label": "l2", "AWSAccountIds": ["111111111111", "222222222222"], "Actions": ["ReceiveMessage", "DeleteMessage"]])
        let exists = await s.callError("AddPermission", ["QueueUrl": .string(url), "Label": "l1", "AWSAccountIds": ["1"], "Actions": ["SendMessage"]])
        #expect(exists?.message == "Value l1 for parameter Label is invalid. Reason: Already exists.")
        let policy = try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["Policy"]])
        let text = try #require(policy["Attributes"]?.string("Policy"))
        #expect(text == #"{"Version":"2008-10-17","Id":"arn:aws:sqs:us-east-1:000000000000:t/SQSDefaultPolicy","Statement":[{"Sid":"l1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"SQS:SendMessage","Resource":"arn:aws:sqs:us-east-1:000000000000:t"},{"Sid":"l2","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:root"]},"Action":["SQS:ReceiveMessage","SQS:DeleteMessage"],"Resource":"arn:aws:sqs:us-east-1:000000000000:t"}]}"#)
        _ = try await s.call("RemovePermission", ["QueueUrl": .string(url), "Label": "l1"])
        _ = try await s.call("RemovePermission", ["QueueUrl": .string(url), "Label": "l2"])
        #expect(try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["Policy"]]) == .empty)
        let missing = await s.callError("RemovePermission", ["QueueUrl": .string(url), "Label": "l2"])
        #expect(missing?.message == "Value l2 for parameter Label is invalid. Reason: can't find label.")
        let over = await s.callError("AddPermission", ["QueueUrl": .string(url), "Label": "x", "AWSAccountIds": ["1"],
            "Actions": ["SendMessage", "SendMessage", "SendMessage", "SendMessage", "SendMessage", "SendMessage", "SendMessage", "SendMessage"]])
        #expect(over?.code == "OverLimit")
    }

    @Test func deadLetterRedriveAndMoveTask() async throws {
        let s = sqs
        let dlq = try await create(s, "dlq")
        let policy = #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"1"}"#
        let src = try await create(s, "src", ["RedrivePolicy": .string(policy), "VisibilityTimeout": "0"])
        let attrs = try await s.call("GetQueueAttributes", ["QueueUrl": .string(src), "AttributeNames": ["RedrivePolicy"]])
        #expect(attrs["Attributes"]?.string("RedrivePolicy") == #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":1}"#)
        let sources = try await s.call("ListDeadLetterSourceQueues", ["QueueUrl": .string(dlq)])
        #expect(sources == ["queueUrls": [.string(src)]])
        _ = try await s.call("SendMessage", ["QueueUrl": .string(src), "MessageBody": "poison"])
        #expect(try await s.call("ReceiveMessage", ["QueueUrl": .string(src)])["Messages"]?.listValue?.count == 1)
        #expect(try await s.call("ReceiveMessage", ["QueueUrl": .string(src)]) == .empty)
        let dead = try await s.call("ReceiveMessage", ["QueueUrl": .string(dlq), "MessageSystemAttributeNames": ["All"], "VisibilityTimeout": 0])
        let m = try #require(dead["Messages"]?.listValue?.first)
        #expect(m["Attributes"]?.string("DeadLetterQueueSourceArn") == "arn:aws:sqs:us-east-1:000000000000:src")
        #expect(m["Attributes"]?.string("ApproximateReceiveCount") == "2")
        // Redrive back to the source.
        let notDLQ = await s.callError("StartMessageMoveTask", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:src"])
        #expect(notDLQ?.message == "Source queue must be configured as a Dead Letter Queue.")
        let noSuch = await s.callError("StartMessageMoveTask", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:nope"])
        #expect(noSuch?.code == "ResourceNotFoundException")
        #expect(noSuch?.status == 404)
        let started = try await s.call("StartMessageMoveTask", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"])
        let handle = try #require(started.string("TaskHandle"))
        let listed = try await s.call("ListMessageMoveTasks", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"])
        let task = try #require(listed["Results"]?.listValue?.first)
        #expect(task.string("Status") == "COMPLETED")
        #expect(task["ApproximateNumberOfMessagesMoved"] == 1)
        #expect(task["ApproximateNumberOfMessagesToMove"] == 1)
        #expect(task["TaskHandle"] == nil)
        let back = try await s.call("ReceiveMessage", ["QueueUrl": .string(src), "MessageSystemAttributeNames": ["ApproximateReceiveCount"]])
        #expect(back["Messages"]?.listValue?.first?["Attributes"]?.string("ApproximateReceiveCount") == "1")
        let cancel = await s.callError("CancelMessageMoveTask", ["TaskHandle": .string(handle)])
        #expect(cancel?.code == "InvalidParameterValueException")
        #expect(await s.callError("CancelMessageMoveTask", ["TaskHandle": "nope"])?.message == "Value for parameter TaskHandle is invalid.")
    }

    @Test func throttledMoveTaskCanBeCancelled() async throws {
        let s = SQSService(records: records)
        _ = try await create(s, "dlq2")
        let policy = #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq2","maxReceiveCount":1}"#
        let dest = try await create(s, "dest")
        _ = try await create(s, "src2", ["RedrivePolicy": .string(policy)])
        for i in 0..<10 { _ = try await s.call("SendMessage", ["QueueUrl": "http://localhost:4599/000000000000/dlq2", "MessageBody": .string("m\(i)")]) }
        let started = try await s.call("StartMessageMoveTask", [
            "SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq2", "DestinationArn": "arn:aws:sqs:us-east-1:000000000000:dest",
            "MaxNumberOfMessagesPerSecond": 5,
        ])
        let again = await s.callError("StartMessageMoveTask", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq2"])
        #expect(again?.message == "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
        // Wait (at most 3 s) for the first throttled moves.
        var running: Value = .empty
        for _ in 0..<60 {
            try await Task.sleep(for: .milliseconds(50))
            running = try await s.call("ListMessageMoveTasks", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq2"])
            if (running["Results"]?.listValue?.first?["ApproximateNumberOfMessagesMoved"]?.intValue ?? 0) > 0 { break }
        }
        #expect(running["Results"]?.listValue?.first?.string("Status") == "RUNNING")
        #expect(running["Results"]?.listValue?.first?.string("TaskHandle") == started.string("TaskHandle"))
        let cancelled = try await s.call("CancelMessageMoveTask", ["TaskHandle": .string(started.string("TaskHandle")!)])
        let moved = try #require(cancelled["ApproximateNumberOfMessagesMoved"]?.intValue)
        #expect(moved > 0 && moved < 10)
        try await Task.sleep(for: .milliseconds(400))
        let after = try await s.call("ListMessageMoveTasks", ["SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq2"])
        #expect(after["Results"]?.listValue?.first?.string("Status") == "CANCELLED")
        #expect(after["Results"]?.listValue?.first?["ApproximateNumberOfMessagesMoved"]?.intValue == moved)
        let d = try await s.call("GetQueueAttributes", ["QueueUrl": .string(dest), "AttributeNames": ["ApproximateNumberOfMessages"]])
        #expect(d["Attributes"]?.string("ApproximateNumberOfMessages") == String(moved))
    }

    @Test func prepareInputFillsQueueUrlFromThePath() async throws {
        let s = sqs
        _ = try await create(s, "viapath")
        let ctx = TestContext.make()
        var input: Value = ["MessageBody": "hello"]
        s.prepareInput(operation: "SendMessage", input: &input, path: "/000000000000/viapath", context: ctx)
        #expect(input.string("QueueUrl") == "http://localhost:4599/000000000000/viapath")
        _ = try await s.handle(operation: "SendMessage", input: input, context: ctx)
        var untouched: Value = ["QueueUrl": "http://x/1/y"]
        s.prepareInput(operation: "SendMessage", input: &untouched, path: "/000000000000/viapath", context: ctx)
        #expect(untouched.string("QueueUrl") == "http://x/1/y")
        var receive: Value = ["AttributeNames": ["All", "Policy"], "MessageSystemAttributeNames": ["SenderId"]]
        s.prepareInput(operation: "ReceiveMessage", input: &receive, path: "/", context: ctx)
        #expect(receive["AttributeNames"] == nil)
        #expect(receive["MessageSystemAttributeNames"] == ["SenderId", "All"])
    }

    @Test func persistenceRestoresQueues() async throws {
        let s1 = sqs
        let url = try await create(s1, "durable.fifo", ["FifoQueue": "true", "VisibilityTimeout": "45", "ContentBasedDeduplication": "true"])
        _ = try await s1.call("TagQueue", ["QueueUrl": .string(url), "Tags": ["team": "a"]])
        _ = try await create(s1, "gone")
        _ = try await s1.call("DeleteQueue", ["QueueUrl": "http://localhost:4599/000000000000/gone"])
        _ = try await s1.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "transient", "MessageGroupId": "g"])
        let s2 = SQSService(records: records, clock: clock)
        try s2.restore()
        let attrs = try await s2.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]])
        #expect(attrs["Attributes"]?.string("VisibilityTimeout") == "45")
        #expect(attrs["Attributes"]?.string("FifoQueue") == "true")
        #expect(attrs["Attributes"]?.string("ApproximateNumberOfMessages") == "0")
        #expect(try await s2.call("ListQueueTags", ["QueueUrl": .string(url)]) == ["Tags": ["team": "a"]])
        #expect(await s2.callError("GetQueueUrl", ["QueueName": "gone"])?.code == "QueueDoesNotExist")
    }

    @Test func queueUrlForms() throws {
        let s = sqs
        let ctx = TestContext.make()
        let cases: [(String, QueueKey?)] = [
            ("http://localhost:4599/000000000000/q", QueueKey(accountId: "000000000000", region: "us-east-1", name: "q")),
            ("https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo?x=1",
             QueueKey(accountId: "123456789012", region: "us-east-1", name: "q.fifo")),
            ("/000000000000/q", QueueKey(accountId: "000000000000", region: "us-east-1", name: "q")),
            ("q", QueueKey(accountId: "000000000000", region: "us-east-1", name: "q")),
            ("http://localhost:4599", nil), ("http://h/a/b/c", nil), ("/q", nil),
        ]
        for (url, expected) in cases {
            if let expected {
                #expect(try s.queueKey(url: url, ctx) == expected, "\(url)")
            } else {
                let e = #expect(throws: AWSError.self) { try s.queueKey(url: url, ctx) }
                #expect(e?.code == "InvalidAddress")
                #expect(e?.message == "The address \(url) is not valid for this endpoint.")
            }
        }
    }

    @Test func retentionAndCountsThroughTheClock() async throws {
        let s = sqs
        let url = try await create(s, "r", ["MessageRetentionPeriod": "60", "DelaySeconds": "10"])
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "b", "DelaySeconds": 0])
        func counts() async throws -> [String] {
            let a = try await s.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]])
            return ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
                .map { a["Attributes"]?.string($0) ?? "?" }
        }
        #expect(try await counts() == ["1", "0", "1"])
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        #expect(try await counts() == ["0", "1", "1"])
        clock.advance(10)
        #expect(try await counts() == ["1", "1", "0"])
        clock.advance(50)
        #expect(try await counts() == ["0", "0", "0"])
    }
}
