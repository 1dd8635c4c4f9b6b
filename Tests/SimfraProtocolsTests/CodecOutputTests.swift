import Foundation
import SimfraCore
import SimfraModels
import Testing

@testable import SimfraProtocols

/// Output and error encoding per protocol, checked against the wire forms botocore parses.
struct CodecOutputTests {
    func codec(_ service: String, _ wire: WireProtocol) -> ProtocolCodec {
        let m = ModelStore.shared.model(service)!
        return ProtocolCodec(model: m, wire: wire, router: wire.isRest ? RestRouter(model: m) : nil)
    }

    func text(_ r: AWSResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    @Test func queryOutputWrapsResultAndRequestId() {
        let c = codec("sts", .query)
        let op = c.model.operation("GetCallerIdentity")!
        let r = c.encodeOutput(["UserId": "u", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"], op, requestId: "rid")
        let body = text(r)
        #expect(body.hasPrefix("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"))
        #expect(body.contains("<Account>000000000000</Account>"))
        #expect(body.contains("<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"))
    }

    @Test func queryListsMapsAndTimestamps() {
        let c = codec("sts", .query)
        let op = c.model.operation("AssumeRole")!
        let out: Value = [
            "Credentials": ["AccessKeyId": "ASIA", "SecretAccessKey": "s&<", "SessionToken": "t",
                            "Expiration": .timestamp(1_764_504_000)],
            "PackedPolicySize": 6,
        ]
        let body = text(c.encodeOutput(out, op, requestId: "r"))
        #expect(body.contains("<Expiration>2025-11-30T12:00:00Z</Expiration>"))
        #expect(body.contains("<SecretAccessKey>s&amp;&lt;</SecretAccessKey>"))
        #expect(body.contains("<PackedPolicySize>6</PackedPolicySize>"))

        let iam = codec("iam", .query)
        let list = iam.encodeOutput(["Users": [["UserName": "a", "Path": "/", "UserId": "AIDA", "Arn": "arn", "CreateDate": .timestamp(0)]], "IsTruncated": false],
                                    iam.model.operation("ListUsers")!, requestId: "r")
        #expect(text(list).contains("<Users><member><Arn>arn</Arn>"))
        #expect(text(list).contains("<Path>/</Path>"))
        #expect(text(list).contains("<IsTruncated>false</IsTruncated>"))
    }

    @Test func queryErrorShape() {
        let c = codec("sts", .query)
        let r = c.encodeError(AWSError(code: "SignatureDoesNotMatch", message: "bad", status: 403), requestId: "rid")
        #expect(r.status == 403)
        #expect(text(r) == "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error><RequestId>rid</RequestId></ErrorResponse>")
    }

    @Test func errorMessagesCarryNoCharacterXMLCannotHold() {
        // An Action with a NUL is echoed in the message; `&#0;` would make the document unparseable.
        let c = codec("sts", .query)
        let r = text(c.encodeError(AWSError(code: "InvalidAction", message: "op\u{0}x\u{1}\ty\n"), requestId: "rid"))
        #expect(r.contains("<Message>op\u{FFFD}x\u{FFFD}&#9;y&#10;</Message>"))
        #expect(!r.contains("&#0;") && !r.contains("&#1;"))
    }

    @Test func queryDecoderProbesPrefixesWithoutBuildingThem() throws {
        let c = codec("sts", .query)
        // One 20,000-part key beside real parameters: ignored, and the rest decodes.
        let junk = Array(repeating: "a", count: 20_000).joined(separator: ".")
        let model = c.model
        let op = model.operation("AssumeRole")!
        let d = QueryInputDecoder(model: model, ec2: false, params: [
            ("RoleArn", "arn:aws:iam::000000000000:role/r"), ("RoleSessionName", "s"), (junk, "x"),
            ("PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/A"), ("PolicyArns.member.2.arn", "arn:aws:iam::aws:policy/B"),
            ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v"),
        ])
        let v = try d.decode(model.shape(op.input!)!)
        #expect(v["RoleSessionName"] == .string("s"))
        #expect(v["PolicyArns"]?.listValue?.count == 2)
        #expect(v["Tags"]?.listValue?.first?["Key"] == .string("k"))
        #expect(d.present("PolicyArns.member") && d.present("Tags") && !d.present("Tag") && !d.present("PolicyArns.member.3"))
    }

    @Test func ec2OutputUsesItemAndLocationNames() {
        let c = codec("ec2", .ec2)
        let op = c.model.operation("DescribeVpcs")!
        let body = text(c.encodeOutput(["Vpcs": [["VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": true]]], op, requestId: "rid"))
        #expect(body.contains("<requestId>rid</requestId>"))
        #expect(body.contains("<vpcSet><item>"))
        #expect(body.contains("<vpcId>vpc-1</vpcId>"))
        #expect(body.contains("<isDefault>true</isDefault>"))
        let err = text(c.encodeError(AWSError(code: "InvalidVpcID.NotFound", message: "no"), requestId: "rid"))
        #expect(err.contains("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>"))
        #expect(err.contains("<RequestID>rid</RequestID>"))
    }

    @Test func jsonOutputAndErrors() throws {
        let c = codec("dynamodb", .json)
        let op = c.model.operation("DescribeTable")!
        let r = c.encodeOutput(["Table": ["TableName": "t", "ItemCount": 3, "CreationDateTime": .timestamp(1.5)]], op, requestId: "r")
        #expect(r.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/x-amz-json-1.0" })
        let parsed = try JSONReader.parse(r.body)
        #expect(parsed["Table"]?["ItemCount"] == .integer(3))
        #expect(parsed["Table"]?["CreationDateTime"] == .double(1.5))
        let e = c.encodeError(AWSError(code: "ResourceNotFoundException", message: "Requested resource not found"), requestId: "r")
        let ej = try JSONReader.parse(e.body)
        #expect(ej["__type"] == "com.amazonaws.dynamodb#ResourceNotFoundException")
        #expect(ej["message"] == "Requested resource not found")
    }

    @Test func queryCompatibleJSONErrorsCarryQueryCode() throws {
        let c = codec("sqs", .json)
        let e = c.encodeError(AWSError(code: "QueueDoesNotExist", message: "The specified queue does not exist.",
                                       queryCode: "AWS.SimpleQueueService.NonExistentQueue"), requestId: "r")
        #expect(e.headers.contains { $0.0 == "x-amzn-query-error" && $0.1 == "AWS.SimpleQueueService.NonExistentQueue;Sender" })
        // The same error in awsQuery uses the legacy code as <Code>.
        let q = codec("sqs", .query).encodeError(
            AWSError(code: "QueueDoesNotExist", message: "m", queryCode: "AWS.SimpleQueueService.NonExistentQueue"), requestId: "r")
        #expect(text(q).contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"))
        #expect(text(q).contains("xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\""))
    }

    @Test func sqsAwsQueryUsesLegacyWireNames() {
        // Older SDKs parse SQS's awsQuery responses by the names the query-era model had.
        let c = codec("sqs", .query)
        let r = c.encodeOutput(["Messages": [["MessageId": "m1", "Body": "hi", "Attributes": ["SenderId": "000000000000"]]]],
                               c.model.operation("ReceiveMessage")!, requestId: "r")
        let body = text(r)
        #expect(body.contains("<ReceiveMessageResult><Message><Attribute><Name>SenderId</Name><Value>000000000000</Value></Attribute>"))
        #expect(body.contains("<MessageId>m1</MessageId>"))
        let urls = text(c.encodeOutput(["QueueUrls": ["http://a/1", "http://a/2"]], c.model.operation("ListQueues")!, requestId: "r"))
        #expect(urls.contains("<ListQueuesResult><QueueUrl>http://a/1</QueueUrl><QueueUrl>http://a/2</QueueUrl></ListQueuesResult>"))
    }

    @Test func restJsonBindsStatusHeadersAndPayload() {
        let c = codec("lambda", .restJson)
        let op = c.model.operation("Invoke")!
        let r = c.encodeOutput(["StatusCode": 202, "FunctionError": "Unhandled", "Payload": .blob(Array("{}".utf8)), "ExecutedVersion": "$LATEST"], op, requestId: "r")
        #expect(r.status == 202)
        #expect(r.headers.contains { $0.0 == "X-Amz-Function-Error" && $0.1 == "Unhandled" })
        #expect(r.body == Array("{}".utf8))
        let e = c.encodeError(AWSError(code: "ResourceNotFoundException", message: "Function not found", status: 404), requestId: "r")
        #expect(e.status == 404)
        #expect(e.headers.contains { $0.0 == "x-amzn-ErrorType" && $0.1 == "ResourceNotFoundException" })
    }

    @Test func restXmlListObjectsAndErrors() {
        let c = codec("s3", .restXml)
        let op = c.model.operation("ListObjectsV2")!
        let r = c.encodeOutput([
            "Name": "b", "KeyCount": 2, "IsTruncated": false,
            "Contents": [["Key": "  spaced\r\n", "Size": 3, "LastModified": .timestamp(0)], ["Key": "a&b", "Size": 1]],
            "CommonPrefixes": [["Prefix": "p/"]],
        ], op, requestId: "r")
        let body = text(r)
        #expect(body.contains("xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""))
        #expect(body.contains("<Contents><Key>  spaced&#13;&#10;</Key>"))
        #expect(body.contains("<LastModified>1970-01-01T00:00:00Z</LastModified>"))
        #expect(body.contains("<Contents><Key>a&amp;b</Key>"))
        #expect(body.contains("<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>"))
        let e = c.encodeError(AWSError(code: "NoSuchKey", message: "The specified key does not exist.", status: 404, extra: ["Key": "k"]), requestId: "rid")
        #expect(text(e).contains("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>rid</RequestId></Error>"))
    }

    @Test func restXmlHeadersAndTimestamps() {
        let c = codec("s3", .restXml)
        let op = c.model.operation("HeadObject")!
        let r = c.encodeOutput(["ContentLength": 5, "ETag": "\"abc\"", "LastModified": .timestamp(1_445_412_480), "Metadata": ["color": "blue"]], op, requestId: "r")
        #expect(r.headers.contains { $0.0 == "Last-Modified" && $0.1 == "Wed, 21 Oct 2015 07:28:00 GMT" })
        #expect(r.headers.contains { $0.0 == "x-amz-meta-color" && $0.1 == "blue" })
        #expect(r.headers.contains { $0.0 == "Content-Length" && $0.1 == "5" })
    }

    @Test func cborOutputRoundTrips() throws {
        let c = codec("cloudwatch", .rpcv2Cbor)
        let op = c.model.operation("ListMetrics")!
        let r = c.encodeOutput(["Metrics": [["Namespace": "ns", "MetricName": "m", "Dimensions": [["Name": "d", "Value": "v"]]]]], op, requestId: "r")
        #expect(r.headers.contains { $0.0 == "smithy-protocol" && $0.1 == "rpc-v2-cbor" })
        let back = try CBORDecoder.decode(r.body)
        #expect(back["Metrics"]?.listValue?.first?["MetricName"] == "m")
        let e = try CBORDecoder.decode(c.encodeError(AWSError(code: "ResourceNotFound", message: "x", status: 404), requestId: "r").body)
        #expect(e["__type"] == "com.amazonaws.monitoring#ResourceNotFound")
    }

    @Test func timestampFormats() {
        #expect(Timestamp.iso8601(1_764_504_000.25) == "2025-11-30T12:00:00.250Z")
        #expect(Timestamp.rfc822(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(Timestamp.parse("2025-11-30T12:00:00.250Z") == 1_764_504_000.25)
        #expect(Timestamp.parse("2025-11-30T13:00:00+01:00") == 1_764_504_000)
        #expect(Timestamp.parse("Thu, 01 Jan 1970 00:00:10 GMT") == 10)
        #expect(Timestamp.parse("1764504000") == 1_764_504_000)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}

/// Input validation produces each protocol's own error.
struct CodecValidationTests {
    func codec(_ service: String, _ wire: WireProtocol) -> ProtocolCodec {
        let m = ModelStore.shared.model(service)!
        return ProtocolCodec(model: m, wire: wire, router: wire.isRest ? RestRouter(model: m) : nil)
    }

    func decode(_ c: ProtocolCodec, _ r: AWSRequest) -> AWSError? {
        do {
            let res = try c.resolve(r)
            _ = try c.decodeInput(r, res)
            return nil
        } catch {
            return error
        }
    }

    @Test func queryMissingParameter() {
        let c = codec("sts", .query)
        let r = AWSRequest(method: "POST", uri: "/", headers: [("content-type", "application/x-www-form-urlencoded")],
                           body: Array("Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/r".utf8))
        #expect(decode(c, r)?.code == "MissingParameter")
        #expect(decode(c, r)?.message == "The request must contain the parameter RoleSessionName")
    }

    @Test func queryActions() {
        let c = codec("sts", .query)
        let missing = AWSRequest(method: "POST", uri: "/", headers: [], body: Array("Version=2011-06-15".utf8))
        #expect(decode(c, missing)?.code == "MissingAction")
        let bad = AWSRequest(method: "POST", uri: "/", headers: [], body: Array("Action=Nope&Version=2011-06-15".utf8))
        #expect(decode(c, bad)?.code == "InvalidAction")
    }

    @Test func jsonValidationMessages() {
        let c = codec("dynamodb", .json)
        let r = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.DescribeTable")], body: Array("{}".utf8))
        let e = decode(c, r)
        #expect(e?.code == "ValidationException")
        #expect(e?.message == "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
        let enumBad = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Scan")],
                                 body: Array(#"{"TableName":"t","Select":"EVERYTHING"}"#.utf8))
        #expect(decode(c, enumBad)?.message.contains("Member must satisfy enum value set: [ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, SPECIFIC_ATTRIBUTES]") == true)
        let typeBad = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Scan")],
                                 body: Array(#"{"TableName":"t","Limit":"ten"}"#.utf8))
        #expect(decode(c, typeBad)?.code == "SerializationException")
        let malformed = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Scan")], body: Array("{nope".utf8))
        #expect(decode(c, malformed)?.code == "SerializationException")
        let unknown = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Nope")], body: [])
        #expect(decode(c, unknown)?.code == "UnknownOperationException")
    }

    @Test func rangeConstraints() {
        let c = codec("dynamodb", .json)
        let r = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Scan")],
                           body: Array(#"{"TableName":"t","Limit":0}"#.utf8))
        #expect(decode(c, r)?.message == "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
        let long = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "DynamoDB_20120810.Scan")],
                              body: Array("{\"TableName\":\"\(String(repeating: "x", count: 1025))\"}".utf8))
        #expect(decode(c, long)?.message.contains("Member must have length less than or equal to") == true)
    }

    @Test func queryCompatibleValidationErrors() {
        // SQS over JSON names the error by its exception; the awsQuery code rides in queryCode.
        let json = codec("sqs", .json)
        let r = AWSRequest(method: "POST", uri: "/", headers: [("x-amz-target", "AmazonSQS.CreateQueue")], body: Array("{}".utf8))
        let e = decode(json, r)
        #expect(e?.code == "MissingRequiredParameterException")
        #expect(e?.queryCode == "MissingParameter")
        #expect(e?.message == "The request must contain the parameter QueueName.")
        let query = codec("sqs", .query)
        let q = AWSRequest(method: "POST", uri: "/", headers: [], body: Array("Action=CreateQueue&Version=2012-11-05".utf8))
        #expect(decode(query, q)?.code == "MissingParameter")
    }

    @Test func restXmlRouting() throws {
        let c = codec("s3", .restXml)
        func op(_ method: String, _ uri: String, _ headers: [(String, String)] = []) throws -> String {
            try c.resolve(AWSRequest(method: method, uri: uri, headers: headers.map { ($0.0, $0.1) }, body: [])).operation.name
        }
        #expect(try op("GET", "/") == "ListBuckets")
        #expect(try op("GET", "/bucket") == "ListObjects")
        #expect(try op("GET", "/bucket?list-type=2") == "ListObjectsV2")
        #expect(try op("GET", "/bucket/") == "ListObjects")
        #expect(try op("GET", "/bucket/key/with//slashes/") == "GetObject")
        #expect(try op("PUT", "/bucket/key") == "PutObject")
        #expect(try op("POST", "/bucket/key?uploads") == "CreateMultipartUpload")
        #expect(try op("PUT", "/bucket/key?partNumber=1&uploadId=u") == "UploadPart")
        #expect(try op("PUT", "/bucket?versioning") == "PutBucketVersioning")
        #expect(try op("PUT", "/bucket/key", [("x-amz-copy-source", "/a/b")]) == "CopyObject")
        #expect(try op("PUT", "/bucket/key?partNumber=1&uploadId=u", [("x-amz-copy-source", "/a/b")]) == "UploadPartCopy")
        #expect(try op("PUT", "/bucket") == "CreateBucket")
        #expect(try op("DELETE", "/bucket") == "DeleteBucket")
        #expect(try op("POST", "/bucket?delete") == "DeleteObjects")
        let res = try c.resolve(AWSRequest(method: "GET", uri: "/bucket/a%20b//c/", headers: [], body: []))
        #expect(res.labels["Key"] == "a b//c/")
    }
}
