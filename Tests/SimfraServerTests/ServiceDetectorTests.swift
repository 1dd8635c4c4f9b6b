import SimfraProtocols
import Testing

@testable import SimfraServer

struct ServiceDetectorTests {
    let detector = ServiceDetector(registry: ServiceRegistry(handlers: []))

    func detect(_ headers: [(String, String)], uri: String = "/", body: String = "", scope: String? = nil) -> (String, String?)? {
        let r = AWSRequest(method: "POST", uri: uri, headers: headers.map { ($0.0, $0.1) }, body: Array(body.utf8))
        return detector.detect(r, scopeService: scope).map { ($0.entry.name, $0.virtualBucket) }
    }

    @Test func hostHeader() {
        #expect(detect([("host", "sqs.us-east-1.localhost:4599")])?.0 == "sqs")
        #expect(detect([("host", "monitoring.localhost")])?.0 == "cloudwatch")
        #expect(detect([("host", "api.ecr.eu-west-1.localhost:4599")])?.0 == "ecr")
    }

    @Test func s3VirtualHost() {
        #expect(detect([("host", "my.bucket.s3.localhost:4599")])! == ("s3", "my.bucket"))
        #expect(detect([("host", "bucket.s3.us-east-1.localhost:4599")])! == ("s3", "bucket"))
        #expect(detect([("host", "s3.localhost:4599")])! == ("s3", nil))
    }

    @Test func pathPrefixes() {
        #expect(detect([("host", "localhost:4599")], uri: "/2013-04-01/hostedzone")?.0 == "route53")
        #expect(detect([("host", "localhost:4599")], uri: "/v20180820/configuration/publicAccessBlock")?.0 == "s3control")
    }

    @Test func targetThenScope() {
        #expect(detect([("host", "localhost"), ("x-amz-target", "DynamoDBStreams_20120810.ListStreams")], scope: "dynamodb")?.0 == "dynamodbstreams")
        #expect(detect([("host", "localhost"), ("x-amz-target", "DynamoDB_20120810.ListTables")], scope: "dynamodb")?.0 == "dynamodb")
        #expect(detect([("host", "localhost")], scope: "sts")?.0 == "sts")
        #expect(detect([("host", "localhost"), ("content-type", "application/x-www-form-urlencoded")], body: "Action=SendEmail", scope: "ses")?.0 == "ses")
        #expect(detect([("host", "localhost")], uri: "/v2/email/outbound-emails", scope: "ses")?.0 == "sesv2")
    }

    @Test func formActionAndFallback() {
        #expect(detect([("host", "localhost"), ("content-type", "application/x-www-form-urlencoded")], body: "Action=GetCallerIdentity&Version=2011-06-15")?.0 == "sts")
        #expect(detect([("host", "localhost")], uri: "/bucket/key")?.0 == "s3")
        #expect(detect([("host", "localhost")], scope: "nosuchservice") == nil)
    }
}
