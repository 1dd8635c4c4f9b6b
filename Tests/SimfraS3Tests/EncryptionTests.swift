import Crypto
import Foundation
import SimfraCore
import SimfraPersistence
import Synchronization
import Testing

@testable import SimfraS3

/// A stand-in for KMS behind the invoker: hands out random data keys "wrapped" by a marker
/// byte, records every call, and fails as told.
final class FakeKMS: ServiceInvoker, @unchecked Sendable {
    let calls = Mutex<[InternalCall]>([])
    let failure = Mutex<AWSError?>(nil)
    static let arn = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        if let f = failure.withLock({ $0 }) { throw f }
        switch call.operation {
        case "GenerateDataKey":
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let ctx = Self.contextBytes(call.input["EncryptionContext"])
            return ["Plaintext": .blob(key), "CiphertextBlob": .blob([0xAA] + ctx.count.bytes + ctx + key), "KeyId": .string(Self.arn)]
        case "Decrypt":
            guard case .blob(let blob)? = call.input["CiphertextBlob"], blob.first == 0xAA else {
                throw AWSError(code: "InvalidCiphertextException", message: "bad")
            }
            let ctx = Self.contextBytes(call.input["EncryptionContext"])
            // The context must be the one the key was made with, as with KMS.
            guard Array(blob[1..<5]) == ctx.count.bytes, Array(blob[5..<(5 + ctx.count)]) == ctx else {
                throw AWSError(code: "InvalidCiphertextException", message: "context")
            }
            return ["Plaintext": .blob(Array(blob[(5 + ctx.count)...])), "KeyId": .string(Self.arn)]
        default:
            throw AWSError(code: "UnsupportedOperation", message: call.operation)
        }
    }

    static func contextBytes(_ v: Value?) -> [UInt8] {
        let o = v?.objectValue ?? [:]
        return Array(o.keys.sorted().map { "\($0)=\(o[$0]?.stringValue ?? "")" }.joined(separator: "&").utf8)
    }

    var operations: [String] { calls.withLock { $0.map(\.operation) } }
}

extension Int {
    fileprivate var bytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: self >> (8 * (3 - $0))) } }
}

/// Pseudo-random but recognisable bytes (a grep of the data dir must not find them).
func pattern(_ n: Int, seed: UInt8 = 7) -> [UInt8] {
    var x = UInt32(seed) &* 2_654_435_761
    return (0..<n).map { _ in
        x = x &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: x >> 24)
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return Data(haystack).range(of: Data(needle)) != nil
}

func allBodyBytes(_ dir: String) -> [[UInt8]] {
    bodyFiles(dir).map { Array(FileManager.default.contents(atPath: dir + "/s3/" + $0) ?? Data()) }
}

extension S3Service {
    func get(_ input: Value, head: Bool = false) async throws -> (Value, [UInt8]) {
        let out = try await getObject(input, context(), head: head)
        var bytes: [UInt8] = []
        while let chunk = try await out.body?.next() { bytes += chunk }
        return (out.output, bytes)
    }
}

func sseC(_ key: [UInt8], prefix: String = "") -> [String: Value] {
    [
        prefix + "SSECustomerAlgorithm": "AES256", prefix + "SSECustomerKey": .string(Base64.encode(key)),
        prefix + "SSECustomerKeyMD5": .string(Base64.encode(Array(Insecure.MD5.hash(data: key)))),
    ]
}

func merged(_ a: Value, _ b: [String: Value]) -> Value {
    var o = a.objectValue ?? [:]
    for (k, v) in b { o[k] = v }
    return .object(o)
}

@Suite struct BodyCipherTests {
    func sealed(_ plain: [UInt8], key: [UInt8], dir: String) throws -> Int32 {
        let blobs = BlobStore(dataDir: dir, durable: false, grace: 0)
        let w = try blobs.makeWriter(destination: "s3/x")
        var sink = BodySink(writer: w, sealKey: key)
        // Odd write sizes cross chunk boundaries.
        var i = 0
        while i < plain.count {
            let n = min(7919, plain.count - i)
            try sink.write(Array(plain[i..<(i + n)]))
            i += n
        }
        try sink.finish()
        try w.commit(to: "s3/x")
        return open(dir + "/s3/x", O_RDONLY)
    }

    func read(_ fd: Int32, key: [UInt8], segments: [Int64], start: Int64, length: Int64) throws -> [UInt8] {
        let r = SealedBodyReader(fd: fd, dataKey: key, segments: segments, start: start, length: length)
        var out: [UInt8] = []
        while let c = try r.next() { out += c }
        return out
    }

    @Test func rangesDecryptAndSizesAddUp() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = BodyCipher.newDataKey()
        let n = BodyCipher.chunkSize * 3  // exactly three full chunks: the last is flagged
        let plain = pattern(n)
        let fd = try sealed(plain, key: key, dir: dir)
        defer { close(fd) }
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/s3/x")[.size] as! Int
        #expect(Int64(size) == BodyCipher.sealedSize(Int64(n)))
        #expect(!contains(Array(FileManager.default.contents(atPath: dir + "/s3/x")!), Array(plain[1000..<1064])))
        for (s, l) in [(0, n), (1, 10), (65535, 2), (65536, 65536), (100_000, 96_608), (n - 1, 1)] {
            #expect(try read(fd, key: key, segments: [Int64(n)], start: Int64(s), length: Int64(l)) == Array(plain[s..<(s + l)]))
        }
        // A wrong key or a body cut at a chunk boundary does not decrypt.
        #expect(throws: AWSError.self) { try read(fd, key: BodyCipher.newDataKey(), segments: [Int64(n)], start: 0, length: 5) }
        #expect(throws: AWSError.self) {
            try read(fd, key: key, segments: [Int64(2 * BodyCipher.chunkSize)], start: Int64(BodyCipher.chunkSize), length: 5)
        }
    }

    @Test func wrapNeedsTheSameKeyAndContext() {
        let dek = BodyCipher.newDataKey()
        let kek = BodyCipher.newDataKey()
        let w = BodyCipher.wrap(dek, under: kek, aad: "a")
        #expect(BodyCipher.unwrap(w, under: kek, aad: "a") == dek)
        #expect(BodyCipher.unwrap(w, under: kek, aad: "b") == nil)
        #expect(BodyCipher.unwrap(w, under: BodyCipher.newDataKey(), aad: "a") == nil)
    }
}

@Suite struct ServerSideEncryptionTests {
    func service(_ dir: String, records: RecordingRecords = RecordingRecords()) -> S3Service {
        S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
    }

    @Test func sseS3BodiesAreCiphertextOnDiskAndReadBackWithRanges() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let s3 = service(dir, records: records)
        _ = try await s3.call("CreateBucket", ["Bucket": "bkt"])
        let plain = pattern(200_000)
        let put = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "k", "Body": .blob(plain)])
        #expect(put["ServerSideEncryption"] == "AES256")
        #expect(put["ETag"]?.stringValue == Digests.quotedETag(Digests.md5(plain)))
        for body in allBodyBytes(dir) { #expect(!contains(body, Array(plain[5000..<5032]))) }
        let (out, got) = try await s3.get(["Bucket": "bkt", "Key": "k"])
        #expect(got == plain)
        #expect(out["ServerSideEncryption"] == "AES256")
        let (rout, ranged) = try await s3.get(["Bucket": "bkt", "Key": "k", "Range": "bytes=65530-131080"])
        #expect(ranged == Array(plain[65530...131080]))
        #expect(rout["ContentRange"] == "bytes 65530-131080/200000")
        // The account's S3 key is a durable record, and a restarted service reads the body.
        #expect(try records.loadAll().contains { $0.kind == S3Service.sseKeyKind })
        let again = service(dir, records: records)
        try again.restore()
        #expect(try await again.get(["Bucket": "bkt", "Key": "k"]).1 == plain)
        // Copies decrypt and re-encrypt; the copy's checksum is the plaintext's.
        let copy = try await s3.call("CopyObject", ["Bucket": "bkt", "Key": "c", "CopySource": "bkt/k"])
        #expect(copy["CopyObjectResult"]?["ETag"] == put["ETag"])
        #expect(copy["CopyObjectResult"]?["ChecksumCRC64NVME"] == put["ChecksumCRC64NVME"])
        #expect(try await s3.get(["Bucket": "bkt", "Key": "c"]).1 == plain)
    }

    @Test func sseCNeedsTheSameKeyEverywhere() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let s3 = service(dir, records: records)
        _ = try await s3.call("CreateBucket", ["Bucket": "bkt"])
        let key = BodyCipher.newDataKey()
        let other = BodyCipher.newDataKey()
        let plain = pattern(70_000, seed: 3)
        let put = try await s3.call("PutObject", merged(["Bucket": "bkt", "Key": "k", "Body": .blob(plain)], sseC(key)))
        #expect(put["SSECustomerAlgorithm"] == "AES256")
        #expect(put["SSECustomerKeyMD5"] == sseC(key)["SSECustomerKeyMD5"])
        #expect(put["ServerSideEncryption"] == nil)
        // Neither the key nor the body is stored in the clear.
        for body in allBodyBytes(dir) { #expect(!contains(body, Array(plain[100..<132]))) }
        for r in try records.loadAll() { #expect(!contains(r.data, key)) }

        let get: Value = ["Bucket": "bkt", "Key": "k"]
        #expect(await awsCode { _ = try await s3.get(get) } == "InvalidRequest")
        #expect(await awsCode { _ = try await s3.get(get, head: true) } == "InvalidRequest")
        #expect(await awsCode { _ = try await s3.get(merged(get, sseC(other))) } == "AccessDenied")
        var badMD5 = sseC(key)
        badMD5["SSECustomerKeyMD5"] = sseC(other)["SSECustomerKeyMD5"]
        #expect(await awsCode { _ = try await s3.get(merged(get, badMD5)) } == "InvalidArgument")
        var badAlg = sseC(key)
        badAlg["SSECustomerAlgorithm"] = "KMS"
        #expect(await awsCode { _ = try await s3.get(merged(get, badAlg)) } == "InvalidEncryptionAlgorithmError")
        let (out, got) = try await s3.get(merged(get, sseC(key)))
        #expect(got == plain)
        #expect(out["SSECustomerKeyMD5"] == sseC(key)["SSECustomerKeyMD5"])
        #expect(try await s3.get(merged(["Bucket": "bkt", "Key": "k", "Range": "bytes=-10"], sseC(key))).1 == Array(plain.suffix(10)))
        let head = try await s3.get(merged(get, sseC(key)), head: true).0
        #expect(head["ContentLength"] == 70_000)
        // A plain object given a key: InvalidRequest.
        _ = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "plain", "Body": .blob([1, 2, 3])])
        #expect(await awsCode { _ = try await s3.get(merged(["Bucket": "bkt", "Key": "plain"], sseC(key))) } == "InvalidRequest")
        // SSE-C and x-amz-server-side-encryption together: InvalidArgument.
        #expect(await awsCode {
            _ = try await s3.call("PutObject", merged(["Bucket": "bkt", "Key": "x", "Body": .blob([1]), "ServerSideEncryption": "AES256"], sseC(key)))
        } == "InvalidArgument")

        // Copy: the source's key is needed; the target may take another key, or none (SSE-S3).
        #expect(await awsCode { _ = try await s3.call("CopyObject", ["Bucket": "bkt", "Key": "c", "CopySource": "bkt/k"]) } == "InvalidRequest")
        let c1 = try await s3.call("CopyObject", merged(merged(["Bucket": "bkt", "Key": "c", "CopySource": "bkt/k"], sseC(key, prefix: "CopySource")), sseC(other)))
        #expect(c1["SSECustomerKeyMD5"] == sseC(other)["SSECustomerKeyMD5"])
        #expect(try await s3.get(merged(["Bucket": "bkt", "Key": "c"], sseC(other))).1 == plain)
        let c2 = try await s3.call("CopyObject", merged(["Bucket": "bkt", "Key": "d", "CopySource": "bkt/c"], sseC(other, prefix: "CopySource")))
        #expect(c2["ServerSideEncryption"] == "AES256")
        #expect(try await s3.get(["Bucket": "bkt", "Key": "d"]).1 == plain)

        // After a restart the key is still recognised.
        let again = service(dir, records: records)
        try again.restore()
        #expect(try await again.get(merged(get, sseC(key))).1 == plain)
        #expect(await awsCode { _ = try await again.get(merged(get, sseC(other))) } == "AccessDenied")
    }

    @Test func multipartPartsAreSealedAndConcatenatedWithoutTheKey() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = service(dir)
        _ = try await s3.call("CreateBucket", ["Bucket": "bkt"])
        let key = BodyCipher.newDataKey()
        let p1 = pattern(5 * 1024 * 1024 + 11, seed: 1)
        let p2 = pattern(100_001, seed: 2)
        for (name, sse) in [("s3", [String: Value]()), ("c", sseC(key))] {
            let up = try await s3.call("CreateMultipartUpload", merged(["Bucket": "bkt", "Key": .string(name)], sse))
            let id = up["UploadId"]!
            #expect(await awsCode {
                _ = try await s3.call("UploadPart", merged(["Bucket": "bkt", "Key": .string(name), "UploadId": id, "PartNumber": 1,
                                                            "Body": .blob([1])], name == "c" ? [:] : sseC(key)))
            } == "InvalidRequest")
            let e1 = try await s3.call("UploadPart", merged(["Bucket": "bkt", "Key": .string(name), "UploadId": id, "PartNumber": 1, "Body": .blob(p1)], sse))["ETag"]!
            let e2 = try await s3.call("UploadPart", merged(["Bucket": "bkt", "Key": .string(name), "UploadId": id, "PartNumber": 3, "Body": .blob(p2)], sse))["ETag"]!
            let done = try await s3.call("CompleteMultipartUpload", [
                "Bucket": "bkt", "Key": .string(name), "UploadId": id,
                "MultipartUpload": ["Parts": [["PartNumber": 1, "ETag": e1], ["PartNumber": 3, "ETag": e2]]],
            ])
            let whole = p1 + p2
            // The default checksum, combined from the parts, is the plaintext's.
            let single = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "single", "Body": .blob(whole)])
            #expect(done["ChecksumCRC64NVME"] != nil)
            #expect(done["ChecksumCRC64NVME"] == single["ChecksumCRC64NVME"])
            let get: Value = merged(["Bucket": "bkt", "Key": .string(name)], sse)
            #expect(try await s3.get(get).1 == whole)
            let start = p1.count - 5
            #expect(try await s3.get(merged(get, ["Range": .string("bytes=\(start)-\(start + 99)")])).1 == Array(whole[start..<(start + 100)]))
            #expect(try await s3.get(merged(get, ["PartNumber": 2])).1 == p2)
            for body in allBodyBytes(dir) { #expect(!contains(body, Array(p2[500..<532]))) }
            _ = try await s3.call("DeleteObject", ["Bucket": "bkt", "Key": "single"])
        }
    }

    @Test func sseKMSAsksKMSAsTheCallerWithTheObjectsContext() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = service(dir)
        let kms = FakeKMS()
        s3.invoker.connect(kms)
        _ = try await s3.call("CreateBucket", ["Bucket": "bkt"])
        let plain = pattern(90_000, seed: 9)
        let put = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "k", "Body": .blob(plain), "ServerSideEncryption": "aws:kms"])
        #expect(put["ServerSideEncryption"] == "aws:kms")
        #expect(put["SSEKMSKeyId"] == .string(FakeKMS.arn))
        let gen = kms.calls.withLock { $0.last! }
        #expect(gen.operation == "GenerateDataKey")
        #expect(gen.input["KeyId"] == "alias/aws/s3")
        #expect(gen.input["EncryptionContext"] == ["aws:s3:arn": "arn:aws:s3:::bkt/k"])
        #expect(gen.via == "s3.amazonaws.com")
        #expect(gen.asService == nil)
        for body in allBodyBytes(dir) { #expect(!contains(body, Array(plain[100..<132]))) }
        #expect(try await s3.get(["Bucket": "bkt", "Key": "k"]).1 == plain)
        #expect(kms.operations.last == "Decrypt")
        // HEAD does not decrypt.
        let before = kms.operations.count
        let head = try await s3.get(["Bucket": "bkt", "Key": "k"], head: true).0
        #expect(head["SSEKMSKeyId"] == .string(FakeKMS.arn))
        #expect(kms.operations.count == before)

        // KMS's refusals as S3 words them.
        kms.failure.withLock { $0 = AWSError(code: "DisabledException", message: "\(FakeKMS.arn) is disabled.") }
        do {
            _ = try await s3.get(["Bucket": "bkt", "Key": "k"])
            Issue.record("GET with a disabled key succeeded")
        } catch let e as AWSError {
            #expect(e.code == "KMS.DisabledException")
            #expect(e.status == 400)
            #expect(e.message == "\(FakeKMS.arn) is disabled.")
        }
        kms.failure.withLock { $0 = AWSError(code: "KMSInvalidStateException", message: "pending deletion") }
        #expect(await awsCode { _ = try await s3.get(["Bucket": "bkt", "Key": "k"]) } == "KMS.KMSInvalidStateException")
        kms.failure.withLock { $0 = AWSError(code: "AccessDeniedException", message: "User: x is not authorized to perform: kms:Decrypt") }
        do {
            _ = try await s3.get(["Bucket": "bkt", "Key": "k"])
            Issue.record("GET without kms:Decrypt succeeded")
        } catch let e as AWSError {
            #expect(e.code == "AccessDenied")
            #expect(e.status == 403)
        }
        kms.failure.withLock { $0 = nil }

        // Bucket default with a key and bucket keys: the bucket's ARN is the context; the
        // user's context is added.
        _ = try await s3.call("PutBucketEncryption", ["Bucket": "bkt", "ServerSideEncryptionConfiguration": ["Rules": [[
            "ApplyServerSideEncryptionByDefault": ["SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/mine"],
            "BucketKeyEnabled": true,
        ]]]])
        let ctx = Base64.encode(Array(#"{"team":"blue"}"#.utf8))
        let p2 = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "k2", "Body": .blob([1, 2, 3]), "SSEKMSEncryptionContext": .string(ctx)])
        #expect(p2["BucketKeyEnabled"] == true)
        let gen2 = kms.calls.withLock { $0.last! }
        #expect(gen2.input["KeyId"] == "alias/mine")
        #expect(gen2.input["EncryptionContext"] == ["aws:s3:arn": "arn:aws:s3:::bkt", "team": "blue"])
        #expect(try await s3.get(["Bucket": "bkt", "Key": "k2"]).1 == [1, 2, 3])
        // A copy decrypts the source and makes a new data key for the target.
        _ = try await s3.call("CopyObject", ["Bucket": "bkt", "Key": "k3", "CopySource": "bkt/k"])
        #expect(Array(kms.operations.suffix(2)) == ["Decrypt", "GenerateDataKey"])
        #expect(try await s3.get(["Bucket": "bkt", "Key": "k3"]).1 == plain)
        // A key of another region is refused before KMS is asked.
        #expect(await awsCode {
            _ = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "x", "Body": .blob([1]), "ServerSideEncryption": "aws:kms",
                                                "SSEKMSKeyId": "arn:aws:kms:eu-west-1:000000000000:key/abc"])
        } == "KMS.NotFoundException")
        // Multipart under KMS: one data key for the upload, decrypted for each part.
        let up = try await s3.call("CreateMultipartUpload", ["Bucket": "bkt", "Key": "m", "ServerSideEncryption": "aws:kms:dsse"])
        #expect(up["ServerSideEncryption"] == "aws:kms:dsse")
        let e1 = try await s3.call("UploadPart", ["Bucket": "bkt", "Key": "m", "UploadId": up["UploadId"]!, "PartNumber": 1, "Body": .blob(plain)])["ETag"]!
        #expect(kms.operations.last == "Decrypt")
        _ = try await s3.call("CompleteMultipartUpload", ["Bucket": "bkt", "Key": "m", "UploadId": up["UploadId"]!,
                                                          "MultipartUpload": ["Parts": [["PartNumber": 1, "ETag": e1]]]])
        #expect(kms.operations.last == "Decrypt")
        #expect(try await s3.get(["Bucket": "bkt", "Key": "m"]).1 == plain)
    }
}

@Suite struct LegacyPlaintextBodyTests {
    /// Records and bodies written before encryption at rest (no trailing encryption fields,
    /// a plaintext body file) still load and read back as they are.
    @Test func recordsWithoutADataKeyReadTheirBodyAsPlaintext() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let s3 = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
        _ = try await s3.call("CreateBucket", ["Bucket": "old"])
        let plain = pattern(100_000, seed: 5)
        _ = try await s3.call("PutObject", ["Bucket": "old", "Key": "k", "Body": .blob(plain)])
        // Rewrite the object as an older Simfra left it: plaintext file, record without the
        // encryption byte.
        let row = try records.loadAll().first { $0.kind == S3Records.objectKind }!
        var v = try S3Records.decodeObject(row.data)
        #expect(v.dataKey != nil)
        v.dataKey = nil
        let legacyPath = "s3/legacy-body"
        try BlobStore(dataDir: dir, grace: 0).write(plain, to: legacyPath)
        v.blobPath = legacyPath
        var bytes = S3Records.encode(v)
        #expect(bytes.last == 0)
        bytes.removeLast()
        _ = records.put(kind: row.kind, account: row.account, region: row.region, id: row.id, data: bytes)
        let again = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
        try again.restore()
        #expect(try await again.get(["Bucket": "old", "Key": "k"]).1 == plain)
        #expect(try await again.get(["Bucket": "old", "Key": "k", "Range": "bytes=70000-70099"]).1 == Array(plain[70000..<70100]))
        // A copy of it is encrypted.
        _ = try await again.call("CopyObject", ["Bucket": "old", "Key": "c", "CopySource": "old/k"])
        #expect(try await again.get(["Bucket": "old", "Key": "c"]).1 == plain)
    }
}
