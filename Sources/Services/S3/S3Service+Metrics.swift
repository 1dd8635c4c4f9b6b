import SimfraCore
import Synchronization

/// When the daily storage metrics were last published (the UTC day, in days since the epoch).
struct S3StorageMetricsDay: Sendable {
    var registered = false
    var lastDay: Int?
}

/// AWS/S3 daily storage metrics, as S3 publishes them once a day per bucket, stamped at
/// 00:00 UTC: `BucketSizeBytes` (Bytes) per `BucketName` and `StorageType` (`StandardStorage`,
/// `StandardIAStorage`… by the objects' storage class) and `NumberOfObjects` (Count) with
/// `StorageType` `AllStorageTypes`. Every version counts (noncurrent ones too), delete markers
/// do not, as in AWS. They are computed at the first metrics flush of each UTC day (and the
/// first after startup), off the request path; request metrics need a bucket metrics
/// configuration, which this S3 does not implement yet, so none are published.
extension S3Service: MetricPublishingService {
    static let storageTypes: [String: String] = [
        "STANDARD": "StandardStorage", "STANDARD_IA": "StandardIAStorage", "ONEZONE_IA": "OneZoneIAStorage",
        "REDUCED_REDUNDANCY": "ReducedRedundancyStorage", "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
        "GLACIER": "GlacierStorage", "DEEP_ARCHIVE": "DeepArchiveStorage", "GLACIER_IR": "GlacierInstantRetrievalStorage",
        "EXPRESS_ONEZONE": "ExpressOneZone",
    ]

    func registerMetricsFlush() {
        let first = storageMetricsDay.withLock { d in
            defer { d.registered = true }
            return !d.registered
        }
        guard first else { return }
        metrics.onFlush { [weak self] in self?.flushStorageMetrics() }
    }

    /// Publishes the storage metrics if today's have not been published yet.
    func flushStorageMetrics() {
        guard metrics.isConnected else { return }
        let now = clock.now()
        let day = Int((now / 86400).rounded(.down))
        let due = storageMetricsDay.withLock { d in
            defer { d.lastDay = day }
            return d.lastDay != day
        }
        guard due else { return }
        let stamp = Double(day) * 86400
        var byScope: [String: (account: String, region: String, data: [MetricDatum])] = [:]
        state.withLock { s in
            for (name, bucket) in s.buckets {
                var bytes: [String: Int64] = [:]
                var count = 0
                for chunk in bucket.objects.chunks {
                    for versions in chunk.values {
                        for v in versions where !v.isDeleteMarker {
                            count += 1
                            bytes[Self.storageTypes[v.storageClass] ?? "StandardStorage", default: 0] += v.size
                        }
                    }
                }
                var points = [MetricDatum(
                    namespace: "AWS/S3", name: "NumberOfObjects",
                    dimensions: [("BucketName", name), ("StorageType", "AllStorageTypes")], value: Double(count),
                    unit: "Count", timestamp: stamp)]
                if bytes.isEmpty { bytes["StandardStorage"] = 0 }
                for (type, n) in bytes.sorted(by: { $0.key < $1.key }) {
                    points.append(MetricDatum(
                        namespace: "AWS/S3", name: "BucketSizeBytes", dimensions: [("BucketName", name), ("StorageType", type)],
                        value: Double(n), unit: "Bytes", timestamp: stamp))
                }
                byScope[bucket.owner + "/" + bucket.region, default: (bucket.owner, bucket.region, [])].data += points
            }
        }
        for scope in byScope.values { metrics.publish(accountId: scope.account, region: scope.region, scope.data) }
    }
}
