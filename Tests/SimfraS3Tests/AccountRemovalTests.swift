import Foundation
import SimfraCore
import SimfraPersistence
import Testing

@testable import SimfraS3

/// `removeAccount`: every bucket of the account with its versions, uploads, records and
/// bodies goes; other accounts keep everything.
@Suite struct S3AccountRemovalTests {
    @Test func removesOnlyThatAccountsBucketsRecordsAndBodies() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = RecordingRecords()
        let s3 = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
        let a = context(account: "111111111111")
        let b = context(account: "222222222222")
        for (ctx, name) in [(a, "a-one"), (a, "a-two"), (b, "b-one")] {
            _ = try await s3.call("CreateBucket", ["Bucket": .string(name)], ctx)
            _ = try await s3.call("PutBucketVersioning", ["Bucket": .string(name), "VersioningConfiguration": ["Status": "Enabled"]], ctx)
            _ = try await s3.call("PutObject", ["Bucket": .string(name), "Key": "k", "Body": .blob([1])], ctx)
            _ = try await s3.call("PutObject", ["Bucket": .string(name), "Key": "k", "Body": .blob([2])], ctx)
            let upload = try await s3.call("CreateMultipartUpload", ["Bucket": .string(name), "Key": "m"], ctx)["UploadId"]!
            _ = try await s3.call("UploadPart", ["Bucket": .string(name), "Key": "m", "UploadId": upload, "PartNumber": 1,
                                                 "Body": .blob([9])], ctx)
        }
        let bRecords = try records.loadAll().filter { $0.account == b.accountId }.count
        #expect(bodyFiles(dir).count == 9)

        try await s3.removeAccount(a.accountId)

        #expect(try records.loadAll().allSatisfy { $0.account == b.accountId })
        #expect(records.count == bRecords)
        #expect(bodyFiles(dir).count == 3)
        #expect(try await s3.call("ListBuckets", [:], a)["Buckets"] == [])
        #expect(await awsCode { _ = try await s3.call("HeadBucket", ["Bucket": "a-one"], a) } == "NoSuchBucket")
        #expect(try await s3.call("ListMultipartUploads", ["Bucket": "b-one"], b)["Uploads"]?.listValue?.count == 1)
        // The names are free for anyone.
        _ = try await s3.call("CreateBucket", ["Bucket": "a-one"], b)
        // A restart from the records agrees.
        let again = S3Service(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: FixedClock())
        try again.restore()
        #expect(try await again.call("ListBuckets", [:], a)["Buckets"] == [])
        #expect(try await again.call("ListBuckets", [:], b)["Buckets"]?.listValue?.count == 2)
        // Nothing to remove is not an error.
        try await again.removeAccount("333333333333")
    }
}
