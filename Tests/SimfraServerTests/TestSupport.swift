import Crypto
import Foundation
import SimfraCore

@testable import SimfraProtocols
@testable import SimfraServer

#if canImport(Glibc)
import Glibc
#endif

/// An in-process server on a free port, for tests that need the HTTP layer.
final class TestServer: @unchecked Sendable {
    let port: Int
    private let task: Task<Void, Error>

    init(handlers: [any AWSService]) async throws {
        var config = Config()
        config.port = 0
        let simfra = Simfra(config: config, handlers: handlers)
        let (stream, cont) = AsyncStream<Int>.makeStream()
        task = Task {
            try await simfra.run { _, port in cont.yield(port) }
        }
        var it = stream.makeAsyncIterator()
        port = await it.next()!
    }

    deinit { task.cancel() }
}

/// Signs requests the way SDKs do, reusing the verifier's canonical form.
struct TestSigner {
    let accessKey = "AKIAIOSFODNN7EXAMPLE"
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    let region = "us-east-1"
    let service = "s3"

    struct Signed {
        var headers: [(String, String)]
        var signature: String
        var key: SymmetricKey
        var amzDate: String
        var scope: String
    }

    func sign(method: String, uri: String, headers: [(String, String)], payloadHash: String) -> Signed {
        let now = Date().timeIntervalSince1970
        let amzDate = AmzDate.format(now)
        let date = String(amzDate.prefix(8))
        var all = headers + [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        all = all.map { ($0.0.lowercased(), $0.1) }
        let signedNames = Array(Set(all.map(\.0))).sorted()
        let parsed = SigV4Parsed(
            accessKeyId: accessKey, scopeDate: date, region: region, service: service, signedHeaders: signedNames,
            signature: "", amzDate: amzDate, presigned: false, expires: nil, securityToken: nil)
        let verifier = SigV4Verifier()
        let req = AWSRequest(method: method, uri: uri, headers: all.map { ($0.0, $0.1) }, body: [])
        let canonical = verifier.canonicalRequest(req, parsed, payloadHash: payloadHash, s3Style: true)
        let sts = "AWS4-HMAC-SHA256\n\(amzDate)\n\(parsed.scope)\n\(Hex.encode(SHA256.hash(data: Array(canonical.utf8))))"
        let key = verifier.signingKey(secret: secret, date: date, region: region, service: service)
        let sig = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: key))
        all.append(("authorization",
                    "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(parsed.scope), SignedHeaders=\(signedNames.joined(separator: ";")), Signature=\(sig)"))
        return Signed(headers: all, signature: sig, key: key, amzDate: amzDate, scope: parsed.scope)
    }

    /// aws-chunked framing with chunk signatures chained from the seed signature.
    func chunked(_ chunks: [[UInt8]], seed: Signed) -> [UInt8] {
        var prev = seed.signature
        var out: [UInt8] = []
        let emptyHash = Hex.encode(SHA256.hash(data: [UInt8]()))
        for c in chunks + [[]] {
            let sts = "AWS4-HMAC-SHA256-PAYLOAD\n\(seed.amzDate)\n\(seed.scope)\n\(prev)\n\(emptyHash)\n\(Hex.encode(SHA256.hash(data: c)))"
            let sig = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: seed.key))
            out += Array("\(String(c.count, radix: 16));chunk-signature=\(sig)\r\n".utf8) + c + Array("\r\n".utf8)
            prev = sig
        }
        return out
    }
}

/// A blocking HTTP/1.1 client over a raw socket: enough to send exact bytes and read one response.
struct RawHTTP {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads one response (status, headers, body by Content-Length), skipping 1xx.
    func readResponse(headOnly: Bool = false) -> (status: Int, headers: [String: String], body: [UInt8]) {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = find(buf, Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buf[..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1])!
                var headers: [String: String] = [:]
                for l in lines.dropFirst() {
                    if let c = l.firstIndex(of: ":") {
                        headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
                    }
                }
                if status < 200 {
                    buf.removeFirst(end + 4)
                    continue
                }
                let len = headOnly ? 0 : Int(headers["content-length"] ?? "0") ?? 0
                while buf.count < end + 4 + len {
                    let n = recv(fd, &chunk, chunk.count, 0)
                    if n <= 0 { break }
                    buf += chunk[0..<n]
                }
                return (status, headers, Array(buf[(end + 4)..<min(buf.count, end + 4 + len)]))
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return (0, [:], []) }
            buf += chunk[0..<n]
        }
    }

    func close() { _ = Glibc.close(fd) }

    /// Sends `bytes` and reads one response on a plain thread: blocking socket calls must not
    /// occupy Swift concurrency's few cooperative threads, which other tests' tasks need.
    static func exchange(port: Int, _ bytes: [UInt8]) async -> (status: Int, headers: [String: String], body: [UInt8]) {
        await withCheckedContinuation { cont in
            Thread.detachNewThread {
                guard let c = try? RawHTTP(port: port) else {
                    cont.resume(returning: (0, [:], []))
                    return
                }
                c.send(bytes)
                let r = c.readResponse()
                c.close()
                cont.resume(returning: r)
            }
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
