import Foundation
import SimfraCore
import Testing

@testable import SimfraProtocols

/// SigV4 verification against AWS's published vectors and requests signed by botocore
/// (scripts/gen_sigv4_fixtures.py), including tampered copies that must fail.
struct SigV4Tests {
    struct Fixture {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [(String, String)]
        var body: [UInt8]
        var accessKey: String
        var secretKey: String
        var service: String
        var valid: Bool
        var amzDate: String
    }

    static func load(_ file: String) throws -> [Fixture] {
        let url = Bundle.module.url(forResource: "Fixtures/\(file)", withExtension: "json")!
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [[String: Any]]
        return list.map { d in
            let headers = (d["headers"] as! [[String]]).map { ($0[0], $0[1]) }
            let date = headers.first { $0.0.lowercased() == "x-amz-date" }?.1
                ?? (d["query"] as! String).split(separator: "&").first { $0.hasPrefix("X-Amz-Date=") }
                    .map { String($0.dropFirst(11)) }
                ?? "20261130T120000Z"
            return Fixture(
                name: d["name"] as! String, method: d["method"] as! String, path: d["path"] as! String,
                query: d["query"] as! String, headers: headers,
                body: Array(Data(base64Encoded: d["body_b64"] as! String)!),
                accessKey: d["access_key"] as! String, secretKey: d["secret_key"] as! String,
                service: d["service"] as! String, valid: d["expected_valid"] as! Bool, amzDate: date)
        }
    }

    func check(_ f: Fixture) -> Result<Void, SigV4Failure> {
        let uri = f.query.isEmpty ? f.path : "\(f.path)?\(f.query)"
        let req = AWSRequest(method: f.method, uri: uri, headers: f.headers.map { ($0.0.lowercased(), $0.1) }, body: f.body)
        let now = AmzDate.seconds(f.amzDate) ?? 0
        let cred = Credential(accessKeyId: f.accessKey, secretAccessKey: f.secretKey, accountId: "000000000000",
                              principalArn: "arn:aws:iam::000000000000:root", userId: "000000000000",
                              sessionToken: f.headers.first { $0.0.lowercased() == "x-amz-security-token" }?.1
                                ?? req.queryValue("X-Amz-Security-Token"))
        do {
            let parsed = try SigV4Parsed.parse(req)
            _ = try SigV4Verifier().verify(req, parsed: parsed, now: now + 1, s3Style: f.service == "s3") {
                $0 == f.accessKey ? cred : nil
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    @Test func botocoreSignedRequests() throws {
        let fixtures = try Self.load("sigv4_botocore")
        #expect(fixtures.count > 20)
        for f in fixtures {
            let r = check(f)
            if f.valid {
                #expect(throws: Never.self, "\(f.name)") { try r.get() }
            } else {
                #expect(throws: SigV4Failure.self, "\(f.name) must be rejected") { try r.get() }
            }
        }
    }

    @Test func awsPublishedVectors() throws {
        let fixtures = try Self.load("sigv4_aws_suite")
        #expect(fixtures.count >= 5)
        for f in fixtures {
            #expect(throws: Never.self, "\(f.name)") { try check(f).get() }
        }
    }

    @Test func skewAndExpiry() throws {
        let f = try Self.load("sigv4_botocore").first { $0.name == "sts-form-post" }!
        let req = AWSRequest(method: f.method, uri: f.path, headers: f.headers.map { ($0.0.lowercased(), $0.1) }, body: f.body)
        let parsed = try SigV4Parsed.parse(req)
        let now = AmzDate.seconds(f.amzDate)!
        let cred = Credential.root(accessKeyId: f.accessKey, secretAccessKey: f.secretKey, accountId: "000000000000")
        #expect(throws: SigV4Failure.self) {
            _ = try SigV4Verifier().verify(req, parsed: parsed, now: now + 16 * 60, s3Style: false) { _ in cred }
        }
        _ = try SigV4Verifier().verify(req, parsed: parsed, now: now + 14 * 60, s3Style: false) { _ in cred }
        // Unknown key.
        #expect(throws: SigV4Failure.unknownAccessKey(f.accessKey)) {
            _ = try SigV4Verifier().verify(req, parsed: parsed, now: now, s3Style: false) { _ in nil }
        }
        // Presigned past X-Amz-Expires.
        let p = try Self.load("sigv4_botocore").first { $0.name == "sts-presigned-get" }!
        let preq = AWSRequest(method: p.method, uri: "\(p.path)?\(p.query)", headers: p.headers.map { ($0.0.lowercased(), $0.1) }, body: [])
        let pp = try SigV4Parsed.parse(preq)
        let pcred = Credential.root(accessKeyId: p.accessKey, secretAccessKey: p.secretKey, accountId: "000000000000")
        let t = AmzDate.seconds(p.amzDate)!
        #expect(throws: SigV4Failure.self) {
            _ = try SigV4Verifier().verify(preq, parsed: pp, now: t + Double(pp.expires!) + 1, s3Style: false) { _ in pcred }
        }
    }

    @Test func malformedAuthorization() {
        let req = AWSRequest(method: "GET", uri: "/", headers: [("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/sts/aws4_request"), ("x-amz-date", "20261130T120000Z")], body: [])
        #expect(throws: SigV4Failure.self) { _ = try SigV4Parsed.parse(req) }
        let none = AWSRequest(method: "GET", uri: "/", headers: [], body: [])
        #expect(throws: SigV4Failure.missing) { _ = try SigV4Parsed.parse(none) }
    }

    @Test func amzDateRoundTrip() {
        #expect(AmzDate.format(AmzDate.seconds("20150830T123600Z")!) == "20150830T123600Z")
        #expect(AmzDate.seconds("2015-08-30") == nil)
        #expect(AmzDate.fromHTTPDate("Mon, 30 Nov 2026 12:00:00 -0000") == "20261130T120000Z")
    }
}
