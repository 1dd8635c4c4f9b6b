import Foundation
import SimfraCore
import SimfraPersistence
import Synchronization
import Testing

@testable import SimfraS3

/// Durable records kept in memory, so a second service can be restored from the first's writes.
final class RecordingRecords: DurableRecords, @unchecked Sendable {
    private let rows = Mutex<[String: DurableRecord]>([:])
    var isPersistent: Bool { true }

    private func key(_ k: String, _ a: String, _ r: String, _ i: String) -> String { "\(k)|\(a)|\(r)|\(i)" }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        apply([.put(kind: kind, account: account, region: region, id: id, data: data)])
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        apply([.delete(kind: kind, account: account, region: region, id: id)])
    }

    func apply(_ writes: [DurableWrite]) -> Commit {
        rows.withLock { rows in
            for w in writes {
                switch w {
                case .put(let k, let a, let r, let i, let d):
                    rows[key(k, a, r, i)] = DurableRecord(kind: k, account: a, region: r, id: i, data: d)
                case .delete(let k, let a, let r, let i):
                    rows[key(k, a, r, i)] = nil
                }
            }
        }
        return .done
    }

    func loadAll() throws -> [DurableRecord] { rows.withLock { Array($0.values) }.sorted { ($0.kind, $0.id) < ($1.kind, $1.id) } }
    var count: Int { rows.withLock { $0.count } }
    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { plaintext }
    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] { sealed }
}

struct FixedClock: SimfraClock {
    func now() -> Double { 1_800_000_000 }
}

func tempDir() -> String {
    let dir = NSTemporaryDirectory() + "s3test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Body files under `<dir>/s3` (temporary files excluded).
func bodyFiles(_ dir: String) -> [String] {
    let root = dir + "/s3"
    guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
    var out: [String] = []
    while let p = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if !p.hasPrefix(".tmp"), FileManager.default.fileExists(atPath: root + "/" + p, isDirectory: &isDir), !isDir.boolValue {
            out.append(p)
        }
    }
    return out
}

func context(region: String = "us-east-1", account: String = "000000000000") -> RequestContext {
    RequestContext(requestId: "r", accountId: account, region: region, principalArn: "arn:aws:iam::\(account):root",
                   userId: account, accessKeyId: "AKIA", service: "s3", operation: "", endpoint: "http://localhost:4599",
                   host: "localhost:4599")
}

extension S3Service {
    func call(_ op: String, _ input: Value, _ ctx: RequestContext = context()) async throws -> Value {
        try await handle(operation: op, input: input, context: ctx)
    }

    func body(_ bucket: String, _ key: String, versionId: String? = nil) async throws -> [UInt8] {
        var input: Value = ["Bucket": .string(bucket), "Key": .string(key)]
        if let versionId { input["VersionId"] = .string(versionId) }
        let out = try await getObject(input, context(), head: false)
        var bytes: [UInt8] = []
        while let chunk = try await out.body?.next() { bytes += chunk }
        return bytes
    }
}

func awsCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let e as AWSError {
        return e.code
    } catch {
        return "\(error)"
    }
}

@Suite struct VersioningStateTests {
    @Test func versioningLifecycle() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir), clock: FixedClock())
        _ = try await s3.call("CreateBucket", ["Bucket": "vers"])
        _ = try await s3.call("PutObject", ["Bucket": "vers", "Key": "k", "Body": .blob(Array("null".utf8))])
        #expect(try await s3.call("GetBucketVersioning", ["Bucket": "vers"]) == [:])
        _ = try await s3.call("PutBucketVersioning", ["Bucket": "vers", "VersioningConfiguration": ["Status": "Enabled"]])
        let v1 = try await s3.call("PutObject", ["Bucket": "vers", "Key": "k", "Body": .blob([1])])["VersionId"]!.stringValue!
        let v2 = try await s3.call("PutObject", ["Bucket": "vers", "Key": "k", "Body": .blob([2])])["VersionId"]!.stringValue!
        #expect(v1 != v2 && v1.count == 32)
        #expect(try await s3.body("vers", "k") == [2])
        #expect(try await s3.body("vers", "k", versionId: v1) == [1])
        #expect(try await s3.body("vers", "k", versionId: "null") == Array("null".utf8))
        let del = try await s3.call("DeleteObject", ["Bucket": "vers", "Key": "k"])
        #expect(del["DeleteMarker"] == true)
        #expect(await awsCode { _ = try await s3.body("vers", "k") } == "NoSuchKey")
        #expect(await awsCode { _ = try await s3.body("vers", "k", versionId: del["VersionId"]!.stringValue!) } == "MethodNotAllowed")
        let versions = try await s3.call("ListObjectVersions", ["Bucket": "vers"])
        #expect(versions["Versions"]?.listValue?.count == 3)
        #expect(versions["DeleteMarkers"]?.listValue?.count == 1)
        // Suspended: a put replaces the null version and keeps the others.
        _ = try await s3.call("PutBucketVersioning", ["Bucket": "vers", "VersioningConfiguration": ["Status": "Suspended"]])
        #expect(try await s3.call("PutObject", ["Bucket": "vers", "Key": "k", "Body": .blob([3])])["VersionId"] == "null")
        let after = try await s3.call("ListObjectVersions", ["Bucket": "vers"])
        let ids = (after["Versions"]?.listValue ?? []).compactMap { $0["VersionId"]?.stringValue }
        #expect(ids == ["null", v2, v1])
        #expect(after["DeleteMarkers"]?.listValue?.count == 1)
        #expect(await awsCode { _ = try await s3.call("DeleteBucket", ["Bucket": "vers"]) } == "BucketNotEmpty")
        #expect(await awsCode {
            _ = try await s3.call("PutBucketVersioning", ["Bucket": "vers", "VersioningConfiguration": [:]])
        } == "MalformedXML")
    }

    @Test func unversionedOverwriteRemovesOldBody() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
        _ = try await s3.call("CreateBucket", ["Bucket": "plain"])
        for i in 0..<3 {
            _ = try await s3.call("PutObject", ["Bucket": "plain", "Key": "../../x", "Body": .blob(Array(repeating: UInt8(i), count: 10))])
        }
        #expect(try await s3.body("plain", "../../x") == Array(repeating: 2, count: 10))
        #expect(bodyFiles(dir).count == 1)
        _ = try await s3.call("DeleteObject", ["Bucket": "plain", "Key": "../../x"])
        #expect(bodyFiles(dir).isEmpty)
    }

    /// A durable store keeps replaced and deleted bodies for its grace period (so a live copy
    /// of the data dir finds every body its copied metadata names), then removes them.
    @Test func replacedBodiesOutliveTheirGracePeriodOnly() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let grace = 1.5
        let blobs = BlobStore(dataDir: dir, grace: grace)
        let s3 = S3Service(records: MemoryOnlyRecords(), blobs: blobs, clock: FixedClock())
        _ = try await s3.call("CreateBucket", ["Bucket": "plain"])
        let start = ContinuousClock.now
        for i in 0..<3 {
            _ = try await s3.call("PutObject", ["Bucket": "plain", "Key": "k", "Body": .blob(Array(repeating: UInt8(i), count: 10))])
        }
        _ = try await s3.call("DeleteObject", ["Bucket": "plain", "Key": "k"])
        let retired = ContinuousClock.now
        // Every body written is still on disk, unchanged, right after the delete (unless a
        // loaded machine took longer than the grace period to get here).
        let kept = bodyFiles(dir)
        if retired - start < .seconds(grace * 0.8) {
            #expect(kept.count == 3)
            #expect(blobs.reaper?.pendingCount == 3)
        }
        for name in kept {
            if let bytes = FileManager.default.contents(atPath: "\(dir)/s3/\(name)") { #expect(Int64(bytes.count) == BodyCipher.sealedSize(10)) }
        }
        while !bodyFiles(dir).isEmpty && ContinuousClock.now - retired < .seconds(20) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(bodyFiles(dir).isEmpty)
        #expect(blobs.reaper?.pendingCount == 0)
        // The last body (retired by the delete) went no earlier than the grace period.
        #expect(ContinuousClock.now - retired >= .seconds(grace * 0.9))
    }
}

@Suite struct BucketNamespaceTests {
    @Test func namesAreGlobalAcrossAccounts() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir), clock: FixedClock())
        let other = context(account: "111111111111")
        _ = try await s3.call("CreateBucket", ["Bucket": "shared-name"])
        #expect(await awsCode { _ = try await s3.call("CreateBucket", ["Bucket": "shared-name"], other) } == "BucketAlreadyExists")
        // Another account neither sees nor reaches it.
        let listed = try await s3.call("ListBuckets", [:], other)["Buckets"]?.listValue ?? []
        #expect(listed.isEmpty)
        // Reaching it is the authoriser's call: S3 tells it the bucket belongs to the first
        // account, so another account needs the bucket policy's leave.
        #expect(s3.resourceOwner(forResource: "arn:aws:s3:::shared-name/k", context: other) == "000000000000")
        #expect(s3.resourcePolicy(forResource: "arn:aws:s3:::shared-name", context: other) == nil)
        // The owner in another region: BucketAlreadyOwnedByYou; in us-east-1: 200.
        _ = try await s3.call("CreateBucket", ["Bucket": "shared-name"])
        #expect(await awsCode {
            _ = try await s3.call("CreateBucket", ["Bucket": "shared-name", "_LocationConstraint": "eu-west-1"], context(region: "eu-west-1"))
        } == "BucketAlreadyOwnedByYou")
        #expect(await awsCode { _ = try await s3.call("HeadBucket", ["Bucket": "shared-name", "ExpectedBucketOwner": "222222222222"]) }
            == "AccessDenied")
    }
}

@Suite struct PersistenceTests {
    @Test func recordsRoundTrip() throws {
        var v = version("ключ/😀", "abc", seq: 42)
        v.metadata = ["a": "1", "b": "two"]
        v.tags = [Tag(key: "t", value: "v")]
        v.checksum = StoredChecksum(algorithm: "CRC32", value: "AAAAAA==-2", type: "COMPOSITE")
        v.partSizes = [5, 6]
        v.partChecksums = ["x", "y"]
        v.encryption = Encryption(algorithm: "aws:kms", kmsKeyId: "k", bucketKeyEnabled: true, context: nil)
        v.headers.contentType = "text/plain"
        v.blobPath = "s3/b/aa/aa-1"
        #expect(try S3Records.decodeObject(S3Records.encode(v)) == v)
        let b = Bucket(name: "bkt", owner: "1", region: "eu-west-1", locationConstraint: "EU", created: 5, versioning: "Enabled",
                       config: ["Tagging": [["Key": "k", "Value": "v"]], "Policy": "{}", "N": 1.5, "T": .timestamp(3), "B": .blob([0, 1])])
        let d = try S3Records.decodeBucket(S3Records.encode(b))
        #expect(d.name == "bkt" && d.locationConstraint == "EU" && d.versioning == "Enabled" && d.config == b.config)
        let p = Part(number: 7, size: 9, etag: "\"e\"", lastModified: 3, blobPath: "s3/x", checksum: "c")
        let (id, dp) = try S3Records.decodePart(S3Records.encode(p, uploadId: "up"))
        #expect(id == "up" && dp == p)
        #expect(throws: RecordReader.Corrupt.self) { _ = try S3Records.decodeObject([1, 200]) }
    }

    /// The orphan sweep never deletes a body a record names, even one that does not load,
    /// and does not run at all beside records of a kind this build does not know.
    @Test func sweepSparesBodiesOfUnloadedRecords() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let first = S3Service(records: records, blobs: BlobStore(dataDir: dir), clock: FixedClock())
        _ = try await first.call("CreateBucket", ["Bucket": "gone"])
        _ = try await first.call("PutObject", ["Bucket": "gone", "Key": "a", "Body": .blob([1])])
        // The bucket record is lost (the object record stays): its body must survive the sweep.
        let bucketRow = try #require(try records.loadAll().first { $0.kind == S3Records.bucketKind })
        _ = records.delete(kind: bucketRow.kind, account: bucketRow.account, region: bucketRow.region, id: bucketRow.id)
        try BlobStore(dataDir: dir).write([7], to: "s3/gone/00/orphan")
        try S3Service(records: records, blobs: BlobStore(dataDir: dir), clock: FixedClock()).restore()
        #expect(bodyFiles(dir).count == 1)

        // A record kind from a newer build: no sweep at all (the orphan stays too).
        try BlobStore(dataDir: dir).write([7], to: "s3/gone/00/orphan")
        _ = records.put(kind: "object-v9", account: "000000000000", region: "us-east-1", id: "x", data: [1, 2, 3])
        try S3Service(records: records, blobs: BlobStore(dataDir: dir), clock: FixedClock()).restore()
        #expect(bodyFiles(dir).count == 2)
    }

    @Test func restoreRebuildsStateAndSweepsOrphans() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let first = S3Service(records: records, blobs: BlobStore(dataDir: dir), clock: FixedClock())
        _ = try await first.call("CreateBucket", ["Bucket": "keep", "_LocationConstraint": "eu-west-1"], context(region: "eu-west-1"))
        _ = try await first.call("PutBucketVersioning", ["Bucket": "keep", "VersioningConfiguration": ["Status": "Enabled"]])
        let v1 = try await first.call("PutObject", ["Bucket": "keep", "Key": "a", "Body": .blob([1])])["VersionId"]!.stringValue!
        _ = try await first.call("PutObject", ["Bucket": "keep", "Key": "a", "Body": .blob([2])])
        _ = try await first.call("PutObject", ["Bucket": "keep", "Key": "b", "Body": .blob([])])
        let upload = try await first.call("CreateMultipartUpload", ["Bucket": "keep", "Key": "m"])["UploadId"]!.stringValue!
        _ = try await first.call("UploadPart", ["Bucket": "keep", "Key": "m", "UploadId": .string(upload), "PartNumber": 1,
                                                "Body": .blob([9, 9])])
        // A body no record references (a crash between body and metadata).
        try BlobStore(dataDir: dir).write([7], to: "s3/keep/00/orphan")

        let second = S3Service(records: records, blobs: BlobStore(dataDir: dir), clock: FixedClock())
        try second.restore()
        #expect(try await second.body("keep", "a") == [2])
        #expect(try await second.body("keep", "a", versionId: v1) == [1])
        #expect(try await second.body("keep", "b") == [])
        #expect(try await second.call("GetBucketLocation", ["Bucket": "keep"]) == ["LocationConstraint": "eu-west-1"])
        let parts = try await second.call("ListParts", ["Bucket": "keep", "Key": "m", "UploadId": .string(upload)])
        #expect(parts["Parts"]?.listValue?.count == 1)
        #expect(!BlobStore(dataDir: dir).exists("s3/keep/00/orphan"))
        // New versions sort after the restored ones.
        _ = try await second.call("PutObject", ["Bucket": "keep", "Key": "a", "Body": .blob([3])])
        #expect(try await second.body("keep", "a") == [3])
        let done = try await second.call("CompleteMultipartUpload", ["Bucket": "keep", "Key": "m", "UploadId": .string(upload),
                                                                      "MultipartUpload": ["Parts": [["PartNumber": 1, "ETag": parts["Parts"]!.listValue![0]["ETag"]!]]]])
        #expect(done["ETag"]?.stringValue?.hasSuffix("-1\"") == true)
        #expect(try await second.body("keep", "m") == [9, 9])
    }
}
