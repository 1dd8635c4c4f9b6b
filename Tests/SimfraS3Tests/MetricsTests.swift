import Foundation
import SimfraCore
import SimfraPersistence
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraS3

/// AWS/S3 daily storage metrics: once per UTC day, every version but delete markers, bytes
/// per storage type, stamped at midnight; nothing while no CloudWatch is connected.
@Suite struct S3StorageMetricsTests {
    final class Sink: MetricSink {
        let points = Mutex<[(String, MetricDatum)]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) {
            points.withLock { $0 += data.map { (accountId + "/" + region, $0) } }
        }
    }

    @Test func dailyStorageMetrics() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(1_800_000_000)
        let s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir), clock: clock)
        _ = try await s3.call("CreateBucket", ["Bucket": "bkt"])
        _ = try await s3.call("PutBucketVersioning", ["Bucket": "bkt", "VersioningConfiguration": ["Status": "Enabled"]])
        _ = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "k", "Body": .blob([1, 2, 3])])
        _ = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "k", "Body": .blob([1, 2])])
        _ = try await s3.call("PutObject", ["Bucket": "bkt", "Key": "ia", "Body": .blob([9]), "StorageClass": "STANDARD_IA"])
        _ = try await s3.call("DeleteObject", ["Bucket": "bkt", "Key": "ia"])
        _ = try await s3.call("CreateBucket", ["Bucket": "empty"])
        s3.metrics.flushNow()
        let sink = Sink()
        s3.metrics.connect(sink)
        s3.metrics.flushNow()
        let points = sink.points.withLock { $0 }
        func value(_ name: String, _ bucket: String, _ type: String) -> Double? {
            points.first { $0.1.name == name && $0.1.dimensions.map(\.value) == [bucket, type] }?.1.value
        }
        #expect(value("NumberOfObjects", "bkt", "AllStorageTypes") == 3)
        #expect(value("BucketSizeBytes", "bkt", "StandardStorage") == 5)
        #expect(value("BucketSizeBytes", "bkt", "StandardIAStorage") == 1)
        #expect(value("NumberOfObjects", "empty", "AllStorageTypes") == 0)
        #expect(value("BucketSizeBytes", "empty", "StandardStorage") == 0)
        #expect(points.allSatisfy { $0.0 == "000000000000/us-east-1" && $0.1.namespace == "AWS/S3"
            && $0.1.timestamp == 1_799_971_200 && $0.1.dimensions.map(\.name) == ["BucketName", "StorageType"] })
        #expect(points.first { $0.1.name == "BucketSizeBytes" }?.1.unit == "Bytes")
        // Once a day: the next flush the same day publishes nothing, the next day's does.
        s3.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.count == points.count)
        clock.advance(86400)
        s3.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.count == 2 * points.count)
    }
}
