import Crypto
import Foundation
import SimfraCore
import Synchronization
import Testing

@testable import SimfraProtocols
@testable import SimfraServer

/// A body produced in 64 KiB chunks, counting how many were asked for.
final class ChunkedBody: ResponseBody, @unchecked Sendable {
    let data: [UInt8]
    private let offset = Mutex(0)
    init(_ data: [UInt8]) { self.data = data }
    var length: Int { data.count }
    func next() async throws -> [UInt8]? {
        offset.withLock { off in
            guard off < data.count else { return nil }
            let end = min(off + 65536, data.count)
            defer { off = end }
            return Array(data[off..<end])
        }
    }
}

/// A stand-in S3 whose PutObject reads its body as a stream and reports what it saw, and whose
/// GetObject streams its answer.
final class FakeStreamingS3: StreamingAWSService, StreamingOutputService {
    let serviceName = "s3"
    let implementedOperations: Set<String> = ["PutObject", "ListBuckets", "GetObject"]

    func streamsOutput(operation: String) -> Bool { operation == "GetObject" }

    func handleStreamingOutput(operation: String, input: Value, context: RequestContext) async throws -> StreamedOutput {
        StreamedOutput(output: ["ContentType": "application/octet-stream", "ETag": "\"e\""],
                       body: ChunkedBody(StreamingBodyTests.body(1_000_003)))
    }
    let chunksSeen = Mutex<[Int]>([])

    func streams(operation: String) -> Bool { operation == "PutObject" }

    func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        ["Buckets": []]
    }

    func handle(operation: String, input: Value, body: any BodyStream, context: RequestContext) async throws -> Value {
        var hasher = SHA256()
        var sizes: [Int] = []
        while let chunk = try await body.next() {
            hasher.update(data: chunk)
            sizes.append(chunk.count)
        }
        chunksSeen.withLock { $0 = sizes }
        // The ETag carries the digest of what arrived, so the test can compare.
        return ["ETag": .string(Hex.encode(hasher.finalize())), "ChecksumCRC32": .string(body.trailers["x-amz-checksum-crc32"] ?? "")]
    }
}

@Suite(.serialized) struct StreamingBodyTests {
    static func body(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    func put(_ server: TestServer, headers: [(String, String)], body: [UInt8]) async -> (status: Int, headers: [String: String], body: [UInt8]) {
        var head = "PUT /bucket/big%20key HTTP/1.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        return await RawHTTP.exchange(port: server.port, Array(head.utf8) + body)
    }

    @Test func literalSHA256BodyIsStreamedAndChecked() async throws {
        let s3 = FakeStreamingS3()
        let server = try await TestServer(handlers: [s3])
        let data = Self.body(8 * 1024 * 1024 + 3)
        let hash = Hex.encode(SHA256.hash(data: data))
        let signed = TestSigner().sign(method: "PUT", uri: "/bucket/big%20key",
                                       headers: [("host", "127.0.0.1:\(server.port)"), ("content-length", "\(data.count)")],
                                       payloadHash: hash)
        let r = await put(server, headers: signed.headers, body: data)
        #expect(r.status == 200)
        #expect(r.headers["etag"] == hash)
        // Streamed: the handler saw the body in pieces, never one 8 MiB buffer.
        let sizes = s3.chunksSeen.withLock { $0 }
        #expect(sizes.count > 1)
        #expect(sizes.max()! < 1024 * 1024)

        // A body that does not match the signed hash is refused at its end.
        var wrong = data
        wrong[100] ^= 1
        let bad = await put(server, headers: signed.headers, body: wrong)
        #expect(bad.status == 400)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("XAmzContentSHA256Mismatch"))
    }

    @Test func signedChunksAreVerified() async throws {
        let s3 = FakeStreamingS3()
        let server = try await TestServer(handlers: [s3])
        let chunks = [Self.body(65536), Self.body(65536), Self.body(1000)]
        let decoded = chunks.reduce(0) { $0 + $1.count }
        let signer = TestSigner()
        func headers(_ len: Int, _ seed: TestSigner.Signed? = nil) -> TestSigner.Signed {
            signer.sign(method: "PUT", uri: "/bucket/big%20key",
                        headers: [("host", "127.0.0.1:\(server.port)"), ("content-encoding", "aws-chunked"),
                                  ("x-amz-decoded-content-length", "\(decoded)"), ("content-length", "\(len)")],
                        payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        }
        // The framed length depends on signatures of fixed width, so frame once to measure.
        let probe = headers(0)
        let framedLength = signer.chunked(chunks, seed: probe).count
        let seed = headers(framedLength)
        let framed = signer.chunked(chunks, seed: seed)
        let ok = await put(server, headers: seed.headers, body: framed)
        #expect(ok.status == 200)
        #expect(ok.headers["etag"] == Hex.encode(SHA256.hash(data: chunks.flatMap { $0 })))

        var tampered = framed
        tampered[200] ^= 1
        let bad = await put(server, headers: seed.headers, body: tampered)
        #expect(bad.status == 403)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("SignatureDoesNotMatch"))
    }

    @Test func unsignedTrailerChecksum() async throws {
        let s3 = FakeStreamingS3()
        let server = try await TestServer(handlers: [s3])
        let data = Self.body(100_000)
        let crc = CRC32.checksum(data)
        let good = Base64.encode(CRCBytes.bigEndian(crc))
        func framed(_ checksum: String) -> [UInt8] {
            Array("\(String(data.count, radix: 16))\r\n".utf8) + data + Array("\r\n0\r\nx-amz-checksum-crc32:\(checksum)\r\n\r\n".utf8)
        }
        for (checksum, expected) in [(good, 200), ("AAAAAA==", 400)] {
            let body = framed(checksum)
            let signed = TestSigner().sign(
                method: "PUT", uri: "/bucket/big%20key",
                headers: [("host", "127.0.0.1:\(server.port)"), ("content-encoding", "aws-chunked"),
                          ("x-amz-trailer", "x-amz-checksum-crc32"), ("x-amz-decoded-content-length", "\(data.count)"),
                          ("content-length", "\(body.count)")],
                payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            let r = await put(server, headers: signed.headers, body: body)
            #expect(r.status == expected)
            if expected == 200 { #expect(r.headers["x-amz-checksum-crc32"] == good) }
            else { #expect(String(decoding: r.body, as: UTF8.self).contains("BadDigest")) }
        }
    }

    @Test func streamedResponseBody() async throws {
        let server = try await TestServer(handlers: [FakeStreamingS3()])
        for method in ["GET"] {
            let signed = TestSigner().sign(method: method, uri: "/bucket/key", headers: [("host", "127.0.0.1:\(server.port)")],
                                           payloadHash: Hex.encode(SHA256.hash(data: [UInt8]())))
            var head = "\(method) /bucket/key HTTP/1.1\r\n"
            for (k, v) in signed.headers { head += "\(k): \(v)\r\n" }
            let r = await RawHTTP.exchange(port: server.port, Array((head + "\r\n").utf8))
            #expect(r.status == 200)
            #expect(r.headers["content-length"] == "1000003")
            #expect(r.headers["etag"] == "\"e\"")
            #expect(r.body == Self.body(1_000_003))
        }
    }

    @Test func nonStreamingOperationsStillBuffer() async throws {
        let server = try await TestServer(handlers: [FakeStreamingS3()])
        let signed = TestSigner().sign(method: "GET", uri: "/", headers: [("host", "127.0.0.1:\(server.port)")],
                                       payloadHash: Hex.encode(SHA256.hash(data: [UInt8]())))
        var head = "GET / HTTP/1.1\r\n"
        for (k, v) in signed.headers { head += "\(k): \(v)\r\n" }
        let r = await RawHTTP.exchange(port: server.port, Array((head + "\r\n").utf8))
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self).contains("ListAllMyBucketsResult") || r.status == 200)
    }
}
