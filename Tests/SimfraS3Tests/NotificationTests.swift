import Foundation
import SimfraCore
import SimfraPersistence
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraS3

/// Records every internal call and answers from a script (an error per service, or success).
final class FakeInvoker: ServiceInvoker, Sendable {
    private let recorded = Mutex<[InternalCall]>([])
    private let failures: [String: AWSError]

    /// `failures` maps `service.operation` (or `service.operation.<arn or url>`) to the error it answers.
    init(failures: [String: AWSError] = [:]) { self.failures = failures }

    var calls: [InternalCall] { recorded.withLock { $0 } }

    func invoke(_ call: InternalCall) async throws -> Value {
        recorded.withLock { $0.append(call) }
        let target = call.input["QueueUrl"]?.stringValue ?? call.input["TopicArn"]?.stringValue ?? ""
        if let e = failures["\(call.service).\(call.operation).\(target)"] ?? failures["\(call.service).\(call.operation)"] {
            throw e
        }
        return [:]
    }
}

let queueArn = "arn:aws:sqs:us-east-1:000000000000:q1"
let topicArn = "arn:aws:sns:us-east-1:000000000000:t1"

func makeNotifyingS3(_ invoker: FakeInvoker, clock: ManualClock = ManualClock(1_800_000_000.5)) throws -> S3Service {
    // A directory per service: the memory-only one is per process, and tests run in parallel.
    let dir = tempDir()
    let s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir, grace: 0), clock: clock, temporaryDirectory: dir)
    s3.invoker.connect(invoker)
    return s3
}

func messageJSON(_ call: InternalCall) throws -> [String: Any] {
    let text = call.input["MessageBody"]?.stringValue ?? call.input["Message"]?.stringValue ?? ""
    return try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
}

func record(_ call: InternalCall) throws -> [String: Any] {
    ((try messageJSON(call))["Records"] as! [[String: Any]])[0]
}

@Suite struct NotificationConfigurationTests {
    func parse(_ v: Value) throws(AWSError) -> BucketNotifications { try BucketNotifications.parse(v, makeId: { "gen" }) }

    func error(_ v: Value) -> AWSError? {
        do { _ = try parse(v); return nil } catch { return error }
    }

    @Test func parsesTargetsFiltersAndNormalises() throws {
        let n = try parse([
            "QueueConfigurations": [[
                "Id": "a", "QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:*"],
                "Filter": ["Key": ["FilterRules": [["Name": "prefix", "Value": "in/"], ["Name": "SUFFIX", "Value": ".txt"]]]],
            ]],
            "TopicConfigurations": [["TopicArn": .string(topicArn), "Events": ["s3:ObjectRemoved:Delete"]]],
            "EventBridgeConfiguration": [:],
        ])
        #expect(n.eventBridge)
        #expect(n.targets.count == 2)
        let q = n.targets.first { $0.kind == .queue }!
        #expect(q.prefix == "in/" && q.suffix == ".txt" && q.id == "a")
        #expect(n.targets.first { $0.kind == .topic }!.id == "gen")
        // Get answers with capitalised rule names and the generated id.
        let stored = n.value
        #expect(stored["QueueConfigurations"]?.listValue?.first?["Filter"]?["Key"]?["FilterRules"]
            == [["Name": "Prefix", "Value": "in/"], ["Name": "Suffix", "Value": ".txt"]])
        #expect(stored["TopicConfigurations"]?.listValue?.first?["Id"] == "gen")
        #expect(stored["EventBridgeConfiguration"] == [:])
        #expect(BucketNotifications(stored: stored) == n)
        #expect(BucketNotifications(stored: [:]) == nil)
    }

    @Test func filterMatching() {
        let t = NotificationTarget(kind: .queue, id: "i", arn: queueArn, events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
                                   prefix: "in/", suffix: ".txt")
        #expect(t.matches(event: "ObjectCreated:Put", key: "in/a.txt"))
        #expect(t.matches(event: "ObjectCreated:CompleteMultipartUpload", key: "in/b/c.txt"))
        #expect(t.matches(event: "ObjectRemoved:Delete", key: "in/a.txt"))
        #expect(!t.matches(event: "ObjectRemoved:DeleteMarkerCreated", key: "in/a.txt"))
        #expect(!t.matches(event: "ObjectCreated:Put", key: "out/a.txt"))
        #expect(!t.matches(event: "ObjectCreated:Put", key: "in/a.csv"))
        #expect(!t.matches(event: "ObjectTagging:Put", key: "in/a.txt"))
    }

    @Test func awsErrors() {
        let bad = error(["QueueConfigurations": [["QueueArn": "invalid-queue", "Events": ["s3:ObjectCreated:*"]]]])
        #expect(bad?.code == "InvalidArgument" && bad?.message == "The ARN could not be parsed")
        #expect(bad?.extra["ArgumentName"] == "Queue" && bad?.extra["ArgumentValue"] == "invalid-queue")
        let badLambda = error(["LambdaFunctionConfigurations": [["LambdaFunctionArn": "x", "Events": ["s3:ObjectCreated:*"]]]])
        #expect(badLambda?.extra["ArgumentName"] == "CloudFunction")
        let badTopic = error(["TopicConfigurations": [["TopicArn": .string(queueArn), "Events": ["s3:ObjectCreated:*"]]]])
        #expect(badTopic?.extra["ArgumentName"] == "Topic")
        let event = error(["QueueConfigurations": [["QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:Nope"]]]])
        #expect(event?.message == "The event is not supported for notifications")
        let rule = error(["QueueConfigurations": [[
            "QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:*"],
            "Filter": ["Key": ["FilterRules": [["Name": "middle", "Value": "x"]]]],
        ]]])
        #expect(rule?.message == "filter rule name must be either prefix or suffix")
        let twice = error(["QueueConfigurations": [[
            "QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:*"],
            "Filter": ["Key": ["FilterRules": [["Name": "Prefix", "Value": "a"], ["Name": "prefix", "Value": "b"]]]],
        ]]])
        #expect(twice?.message == "Cannot specify more than one prefix rule in a filter.")
        #expect(error(["QueueConfigurations": [["QueueArn": .string(queueArn)]]])?.code == "MalformedXML")
    }

    @Test func overlaps() {
        func two(_ e1: String, _ p1: String?, _ e2: String, _ p2: String?, s1: String? = nil, s2: String? = nil) -> AWSError? {
            func c(_ e: String, _ p: String?, _ s: String?) -> Value {
                var rules: [Value] = []
                if let p { rules.append(["Name": "Prefix", "Value": .string(p)]) }
                if let s { rules.append(["Name": "Suffix", "Value": .string(s)]) }
                var v: Value = ["QueueArn": .string(queueArn), "Events": [.string(e)]]
                if !rules.isEmpty { v["Filter"] = ["Key": ["FilterRules": .list(rules)]] }
                return v
            }
            return error(["QueueConfigurations": [c(e1, p1, s1), c(e2, p2, s2)]])
        }
        let ambiguous = "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type."
        #expect(two("s3:ObjectCreated:*", nil, "s3:ObjectCreated:Put", nil)?.message == ambiguous)
        #expect(two("s3:ObjectCreated:Put", "a/", "s3:ObjectCreated:Put", "a/b/")?.message == ambiguous)
        #expect(two("s3:ObjectCreated:Put", "a/", "s3:ObjectCreated:Put", "b/") == nil)
        #expect(two("s3:ObjectCreated:Put", "a/", "s3:ObjectCreated:Put", "a/", s1: ".jpg", s2: ".png") == nil)
        #expect(two("s3:ObjectCreated:*", nil, "s3:ObjectRemoved:*", nil) == nil)
    }

    @Test func keyEncodingAndSequencer() {
        #expect(NotificationEvent.encodeKey("a@b") == "a%40b")
        #expect(NotificationEvent.encodeKey("dir/my file+x.txt") == "dir/my+file%2Bx.txt")
        #expect(NotificationEvent.encodeKey("é") == "%C3%A9")
        let n = S3Notifier(invoker: FakeInvoker())
        let a = n.sequencer(now: 1000), b = n.sequencer(now: 1000), c = n.sequencer(now: 999)
        #expect(a.count == 18 && a < b && b < c)
    }
}

@Suite struct NotificationDeliveryTests {
    let queueConfig: Value = ["QueueConfigurations": [["Id": "cfg", "QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:ObjectAcl:Put"]]]]

    func configure(_ s3: S3Service, _ bucket: String, _ config: Value) async throws {
        _ = try await s3.call("PutBucketNotificationConfiguration", ["Bucket": .string(bucket), "NotificationConfiguration": config])
    }

    @Test func putSendsTestEventAsS3() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "nbx"])
        try await configure(s3, "nbx", queueConfig)
        let calls = fake.calls
        #expect(calls.count == 1)
        let c = calls[0]
        #expect(c.service == "sqs" && c.operation == "SendMessage")
        #expect(c.asService == "s3.amazonaws.com" && c.sourceArn == "arn:aws:s3:::nbx" && c.via == nil)
        #expect(c.onBehalfOf.accountId == "000000000000")
        #expect(c.input["QueueUrl"] == "http://localhost:4599/000000000000/q1")
        let m = try messageJSON(c)
        #expect(m["Service"] as? String == "Amazon S3" && m["Event"] as? String == "s3:TestEvent")
        #expect(m["Bucket"] as? String == "nbx" && m["RequestId"] as? String == "r")
        #expect((m["Time"] as? String)?.hasSuffix(".500Z") == true)
        #expect(m["HostId"] as? String != nil)
        let text = c.input["MessageBody"]!.stringValue!
        #expect(text.hasPrefix(#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"#))
        let got = try await s3.call("GetBucketNotificationConfiguration", ["Bucket": "nbx"])
        #expect(got["QueueConfigurations"]?.listValue?.first?["Id"] == "cfg")
    }

    @Test func destinationFailuresRejectTheConfiguration() async throws {
        let denied = AWSError(code: "AccessDeniedException", message: "no", status: 400)
        let missing = AWSError(code: "QueueDoesNotExist", message: "The specified queue does not exist.", status: 400)
        let fake = FakeInvoker(failures: [
            "sqs.SendMessage": denied,
            "sqs.GetQueueUrl": missing,
            "sns.Publish": denied,
        ])
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "nbx"])
        let config: Value = [
            "QueueConfigurations": [["QueueArn": .string(queueArn), "Events": ["s3:ObjectCreated:*"]]],
            "TopicConfigurations": [["TopicArn": .string(topicArn), "Events": ["s3:ObjectRemoved:*"]]],
        ]
        do {
            try await configure(s3, "nbx", config)
            Issue.record("accepted")
        } catch let e as AWSError {
            #expect(e.code == "InvalidArgument" && e.status == 400)
            #expect(e.message == "Unable to validate the following destination configurations")
            #expect(e.extra["ArgumentName1"] == .string(topicArn))
            #expect(e.extra["ArgumentValue1"] == "Permissions on the destination topic do not allow S3 to publish notifications from this bucket")
            #expect(e.extra["ArgumentName2"] == .string(queueArn))
            #expect(e.extra["ArgumentValue2"] == "The destination queue does not exist")
        }
        // Nothing saved.
        #expect(try await s3.call("GetBucketNotificationConfiguration", ["Bucket": "nbx"]) == [:])
        // Skipping validation saves it without a test event.
        let before = fake.calls.count
        _ = try await s3.call("PutBucketNotificationConfiguration", [
            "Bucket": "nbx", "NotificationConfiguration": config, "SkipDestinationValidation": true,
        ])
        #expect(fake.calls.count == before)
        #expect(try await s3.call("GetBucketNotificationConfiguration", ["Bucket": "nbx"])["QueueConfigurations"] != nil)
    }

    @Test func lambdaCannotBeValidated() async throws {
        let s3 = try makeNotifyingS3(FakeInvoker())
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "nbx"])
        let fn = "arn:aws:lambda:us-east-1:000000000000:function:my-lambda"
        do {
            try await configure(s3, "nbx", ["LambdaFunctionConfigurations": [["LambdaFunctionArn": .string(fn), "Events": ["s3:ObjectCreated:*"]]]])
            Issue.record("accepted")
        } catch let e as AWSError {
            #expect(e.extra["ArgumentName1"] == .string(fn + ", null"))
            #expect(e.extra["ArgumentValue1"] == .string("Not authorized to invoke function [\(fn)]"))
        }
    }

    @Test func destinationInAnotherRegion() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "nbx"])
        let config: Value = ["QueueConfigurations": [["QueueArn": "arn:aws:sqs:eu-west-1:000000000000:q1", "Events": ["s3:ObjectCreated:*"]]]]
        do {
            try await configure(s3, "nbx", config)
            Issue.record("accepted")
        } catch let e as AWSError {
            #expect(e.code == "InvalidArgument")
            #expect(e.message == "The notification destination service region is not valid for the bucket location constraint")
        }
        #expect(fake.calls.isEmpty)
    }

    @Test func noSuchBucketFirst() async throws {
        let s3 = try makeNotifyingS3(FakeInvoker())
        defer { s3.shutdown() }
        #expect(await awsCode { try await configure(s3, "missing", ["QueueConfigurations": [["QueueArn": "bad", "Events": []]]]) }
            == "NoSuchBucket")
    }

    @Test func objectEventsReachTheQueue() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "nbx"])
        try await configure(s3, "nbx", queueConfig)
        _ = try await s3.call("PutObject", ["Bucket": "nbx", "Key": "a b@c", "Body": .blob(Array("hello".utf8))])
        _ = try await s3.call("CopyObject", ["Bucket": "nbx", "Key": "copy", "CopySource": "nbx/a%20b%40c"])
        _ = try await s3.call("PutObjectTagging", ["Bucket": "nbx", "Key": "copy", "Tagging": ["TagSet": [["Key": "k", "Value": "v"]]]])
        _ = try await s3.call("DeleteObjectTagging", ["Bucket": "nbx", "Key": "copy"])
        _ = try await s3.call("PutObjectAcl", ["Bucket": "nbx", "Key": "copy", "ACL": "private"])
        _ = try await s3.call("DeleteObject", ["Bucket": "nbx", "Key": "copy"])
        _ = try await s3.call("DeleteObject", ["Bucket": "nbx", "Key": "never-there"])
        _ = try await s3.call("DeleteObjects", ["Bucket": "nbx", "Delete": ["Objects": [["Key": "a b@c"]]]])
        await s3.notifier.drain()
        let calls = Array(fake.calls.dropFirst())  // the test event
        let names = try calls.map { try record($0)["eventName"] as! String }
        #expect(names == ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectTagging:Put", "ObjectTagging:Delete", "ObjectAcl:Put",
                          "ObjectRemoved:Delete", "ObjectRemoved:Delete"])
        for c in calls {
            #expect(c.asService == "s3.amazonaws.com" && c.sourceArn == "arn:aws:s3:::nbx" && c.operation == "SendMessage")
        }
        let put = try record(calls[0])
        #expect(put["eventVersion"] as? String == "2.1")
        #expect(put["eventSource"] as? String == "aws:s3")
        #expect(put["awsRegion"] as? String == "us-east-1")
        #expect(put["eventTime"] as? String == "2027-01-15T08:00:00.500Z")
        #expect((put["userIdentity"] as? [String: Any])?["principalId"] as? String == S3Notifier.customerId("000000000000"))
        #expect((put["requestParameters"] as? [String: Any])?["sourceIPAddress"] as? String == "127.0.0.1")
        let response = put["responseElements"] as! [String: Any]
        #expect(response["x-amz-request-id"] as? String == "r" && response["x-amz-id-2"] as? String == Base64.encode("rr"))
        let s3Part = put["s3"] as! [String: Any]
        #expect(s3Part["s3SchemaVersion"] as? String == "1.0" && s3Part["configurationId"] as? String == "cfg")
        let bucket = s3Part["bucket"] as! [String: Any]
        #expect(bucket["name"] as? String == "nbx" && bucket["arn"] as? String == "arn:aws:s3:::nbx")
        let object = s3Part["object"] as! [String: Any]
        #expect(object["key"] as? String == "a+b%40c")
        #expect(object["size"] as? Int == 5)
        #expect(object["eTag"] as? String == "5d41402abc4b2a76b9719d911017c592")
        #expect(object["versionId"] == nil)
        let seq1 = object["sequencer"] as! String
        // Member order as AWS writes it.
        #expect(calls[0].input["MessageBody"]!.stringValue!.hasPrefix(#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion""#))
        let tagging = try record(calls[2])
        #expect(tagging["eventVersion"] as? String == "2.3")
        let tagObject = (tagging["s3"] as! [String: Any])["object"] as! [String: Any]
        #expect(tagObject["size"] == nil && tagObject["sequencer"] == nil && tagObject["eTag"] as? String == "5d41402abc4b2a76b9719d911017c592")
        let deleted = ((try record(calls[5]))["s3"] as! [String: Any])["object"] as! [String: Any]
        #expect(deleted["key"] as? String == "copy" && deleted["size"] == nil && deleted["eTag"] == nil)
        #expect((deleted["sequencer"] as! String) > seq1)
    }

    @Test func versionedDeletesAndMultipart() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "vbx"])
        _ = try await s3.call("PutBucketVersioning", ["Bucket": "vbx", "VersioningConfiguration": ["Status": "Enabled"]])
        try await configure(s3, "vbx", queueConfig)
        let v1 = try await s3.call("PutObject", ["Bucket": "vbx", "Key": "k", "Body": .blob([1])])["VersionId"]!.stringValue!
        let marker = try await s3.call("DeleteObject", ["Bucket": "vbx", "Key": "k"])["VersionId"]!.stringValue!
        _ = try await s3.call("DeleteObject", ["Bucket": "vbx", "Key": "k", "VersionId": .string(v1)])
        let up = try await s3.call("CreateMultipartUpload", ["Bucket": "vbx", "Key": "mp"])["UploadId"]!.stringValue!
        let part = try await s3.call("UploadPart", ["Bucket": "vbx", "Key": "mp", "UploadId": .string(up), "PartNumber": 1,
                                                     "Body": .blob(Array(repeating: 7, count: 10))])
        _ = try await s3.call("CompleteMultipartUpload", [
            "Bucket": "vbx", "Key": "mp", "UploadId": .string(up),
            "MultipartUpload": ["Parts": [["PartNumber": 1, "ETag": part["ETag"]!]]],
        ])
        await s3.notifier.drain()
        let records = try fake.calls.dropFirst().map { try record($0) }
        #expect(records.map { $0["eventName"] as! String }
            == ["ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:Delete", "ObjectCreated:CompleteMultipartUpload"])
        func object(_ i: Int) -> [String: Any] { (records[i]["s3"] as! [String: Any])["object"] as! [String: Any] }
        #expect(object(0)["versionId"] as? String == v1)
        #expect(object(1)["versionId"] as? String == marker && object(1)["eTag"] as? String == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(object(2)["versionId"] as? String == v1)
        #expect((object(3)["eTag"] as? String)?.hasSuffix("-1") == true && object(3)["size"] as? Int == 10)
    }

    @Test func prefixSuffixFiltersAndTopic() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "fbx"])
        try await configure(s3, "fbx", ["TopicConfigurations": [[
            "Id": "t", "TopicArn": .string(topicArn), "Events": ["s3:ObjectCreated:Put"],
            "Filter": ["Key": ["FilterRules": [["Name": "Prefix", "Value": "in/"], ["Name": "Suffix", "Value": ".txt"]]]],
        ]]])
        for key in ["in/a.txt", "in/a.csv", "out/a.txt", "in/deep/b.txt"] {
            _ = try await s3.call("PutObject", ["Bucket": "fbx", "Key": .string(key), "Body": .blob([1])])
        }
        await s3.notifier.drain()
        let calls = Array(fake.calls.dropFirst())
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.service == "sns" && $0.operation == "Publish" && $0.input["Subject"] == "Amazon S3 Notification" })
        #expect(try calls.map { (((try record($0))["s3"] as! [String: Any])["object"] as! [String: Any])["key"] as! String }
            == ["in/a.txt", "in/deep/b.txt"])
    }

    @Test func eventBridgeCall() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "ebx"])
        try await configure(s3, "ebx", ["EventBridgeConfiguration": [:]])
        #expect(fake.calls.isEmpty)  // nothing to test
        _ = try await s3.call("PutObject", ["Bucket": "ebx", "Key": "a b", "Body": .blob(Array("hi".utf8))])
        _ = try await s3.call("DeleteObject", ["Bucket": "ebx", "Key": "a b"])
        await s3.notifier.drain()
        let calls = fake.calls
        #expect(calls.count == 2)
        let c = calls[0]
        #expect(c.service == "events" && c.operation == "PutEvents" && c.via == nil)
        #expect(c.asService == "s3.amazonaws.com" && c.sourceArn == "arn:aws:s3:::ebx")
        let entry = c.input["Entries"]!.listValue![0]
        #expect(entry["Source"] == "aws.s3" && entry["DetailType"] == "Object Created" && entry["Resources"] == ["arn:aws:s3:::ebx"])
        let detail = try JSONSerialization.jsonObject(with: Data(entry["Detail"]!.stringValue!.utf8)) as! [String: Any]
        #expect(detail["version"] as? String == "0" && detail["reason"] as? String == "PutObject")
        #expect(detail["requester"] as? String == "000000000000" && detail["request-id"] as? String == "r")
        #expect(detail["source-ip-address"] as? String == "127.0.0.1")
        let object = detail["object"] as! [String: Any]
        #expect(object["key"] as? String == "a b" && object["size"] as? Int == 2 && object["etag"] as? String != nil)
        #expect(object["sequencer"] as? String != nil)
        #expect(entry["Detail"]!.stringValue!.hasPrefix(#"{"version":"0","bucket":{"name":"ebx"},"object":{"key":"a b","size":2,"#))
        let deleted = calls[1].input["Entries"]!.listValue![0]
        #expect(deleted["DetailType"] == "Object Deleted")
        let dd = try JSONSerialization.jsonObject(with: Data(deleted["Detail"]!.stringValue!.utf8)) as! [String: Any]
        #expect(dd["reason"] as? String == "DeleteObject" && dd["deletion-type"] as? String == "Permanently Deleted")
    }

    @Test func bucketWithoutConfigurationMakesNoCalls() async throws {
        let fake = FakeInvoker()
        let s3 = try makeNotifyingS3(fake)
        defer { s3.shutdown() }
        _ = try await s3.call("CreateBucket", ["Bucket": "quiet"])
        _ = try await s3.call("PutObject", ["Bucket": "quiet", "Key": "k", "Body": .blob([1])])
        _ = try await s3.call("DeleteObject", ["Bucket": "quiet", "Key": "k"])
        await s3.notifier.drain()
        #expect(fake.calls.isEmpty)
        // Emptying a configuration stops deliveries.
        try await configure(s3, "quiet", queueConfig)
        try await configure(s3, "quiet", [:])
        _ = try await s3.call("PutObject", ["Bucket": "quiet", "Key": "k", "Body": .blob([1])])
        await s3.notifier.drain()
        #expect(fake.calls.count == 1)
    }

    @Test func configurationSurvivesRestore() async throws {
        let records = RecordingRecords()
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fake = FakeInvoker()
        let s3 = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: ManualClock())
        s3.invoker.connect(fake)
        _ = try await s3.call("CreateBucket", ["Bucket": "rbx"])
        try await configure(s3, "rbx", queueConfig)
        let again = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: ManualClock())
        again.invoker.connect(fake)
        try again.restore()
        _ = try await again.call("PutObject", ["Bucket": "rbx", "Key": "k", "Body": .blob([1])])
        await again.notifier.drain()
        #expect(fake.calls.count == 2)
        #expect(try record(fake.calls[1])["eventName"] as? String == "ObjectCreated:Put")
    }
}
