import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import SimfraServer

struct FrontEndErrorTests {
    private func head(_ headers: [(String, String)]) -> (String) -> String? {
        { name in headers.first { $0.0.lowercased() == name }?.1 }
    }

    @Test func shapeFollowsTheRequest() {
        #expect(FrontEndError.Shape(header: head([("X-Amz-Target", "DynamoDB_20120810.ListTables")])) == .json)
        #expect(FrontEndError.Shape(header: head([("Content-Type", "application/x-amz-json-1.1")])) == .json)
        #expect(FrontEndError.Shape(header: head([("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])) == .query)
        #expect(FrontEndError.Shape(header: head([])) == .restXml)
    }

    @Test func restXmlCarriesTheRequestIdInBodyAndHeader() {
        let r = FrontEndError.requestTimeout.response(.restXml, requestId: "rid-1")
        let body = String(decoding: r.body, as: UTF8.self)
        #expect(r.status == 400)
        #expect(body.contains("<Code>RequestTimeout</Code>"))
        #expect(body.contains("<RequestId>rid-1</RequestId>"))
        #expect(r.headers.contains { $0.0 == "x-amz-request-id" && $0.1 == "rid-1" })
    }

    @Test func jsonAndQueryShapes() throws {
        let j = FrontEndError.badRequest.response(.json, requestId: "rid-2")
        let doc = try JSONSerialization.jsonObject(with: Data(j.body)) as? [String: String]
        #expect(doc?["__type"] == "BadRequest")
        #expect(j.headers.contains { $0.0 == "x-amzn-RequestId" && $0.1 == "rid-2" })
        let q = FrontEndError.slowDown.response(.query, requestId: "rid-3")
        let body = String(decoding: q.body, as: UTF8.self)
        #expect(q.status == 503)
        #expect(body.contains("<Type>Receiver</Type><Code>SlowDown</Code>"))
        #expect(body.contains("<RequestId>rid-3</RequestId>"))
    }

    @Test func rawResponseIsCompleteHTTP() {
        let raw = String(decoding: FrontEndError.slowDown.rawResponse(.restXml, requestId: "r"), as: UTF8.self)
        #expect(raw.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(raw.contains("\r\nConnection: close\r\n"))
        let parts = raw.components(separatedBy: "\r\n\r\n")
        #expect(raw.contains("Content-Length: \(parts[1].utf8.count)\r\n"))
    }

    @Test func fixedErrors() {
        #expect(FrontEndError.headersTooLarge.code == "RequestHeaderSectionTooLarge")
        #expect(FrontEndError.tooLarge(10).status == 413)
    }
}

struct ConnectionLimitsTests {
    @Test func capCountsOpenConnections() {
        let limits = ConnectionLimits(cap: 2)
        #expect(limits.admit())
        #expect(limits.admit())
        #expect(!limits.admit())
        limits.release()
        limits.release()
        #expect(limits.admit())
        #expect(limits.current == 2)
    }

    @Test func defaultCapLeavesRoomForBodyFiles() {
        #expect(ConnectionLimits.defaultCap(openFileLimit: 1024) == 480)
        #expect(ConnectionLimits.defaultCap(openFileLimit: 50) == 16)
        #expect(ConnectionLimits.mostConnections(openFileLimit: 1024) == 480)
    }

    @Test func softLimitIsRaisedToTheHardOne() {
        let now = ConnectionLimits.raiseOpenFileLimit()
        var rl = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
        #expect(UInt(now) == UInt(rl.rlim_cur))
        #expect(rl.rlim_cur == rl.rlim_max || rl.rlim_max == rlim_t.max)
    }
}

struct MemoryTrimmerTests {
    @Test func trimsOncePerQuietSpell() {
        let requests = RequestCounter()
        let trimmer = MemoryTrimmer(requests: requests)
        requests.increment()
        trimmer.tick()  // requests came during this interval: busy
        #expect(trimmer.trimCount == 0)
        trimmer.tick()  // a whole quiet interval: trim
        #expect(trimmer.trimCount == 1)
        trimmer.tick()  // still quiet, nothing new since the trim
        #expect(trimmer.trimCount == 1)
        requests.increment()
        trimmer.tick()
        trimmer.tick()
        #expect(trimmer.trimCount == 2)
    }
}
