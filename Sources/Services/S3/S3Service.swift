import SimfraCore
import SimfraPersistence
import Synchronization

/// Amazon S3: buckets, objects (bodies streamed to and from the blob store, never held whole
/// in memory), multipart uploads, versioning and bucket configuration.
///
/// State lives in memory under one lock: buckets by name (the namespace is global across
/// accounts), each with a sorted key index; in-progress uploads by id. Every mutation writes
/// its durable records through `records` while still holding the lock and awaits the commit
/// before answering. Bodies follow the blob protocol: write a new file (fsync, rename),
/// commit the metadata naming it, then remove the file it replaced.
public final class S3Service: StreamingAWSService, StreamingOutputService, StatefulService, InvokingService, Sendable {
    public let serviceName = "s3"

    public let implementedOperations: Set<String> = [
        // Buckets
        "CreateBucket", "HeadBucket", "DeleteBucket", "ListBuckets", "GetBucketLocation",
        // Objects
        "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "GetObjectAttributes",
        "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging", "PutObjectAcl", "GetObjectAcl",
        // Listing
        "ListObjects", "ListObjectsV2", "ListObjectVersions",
        // Multipart
        "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "ListParts", "ListMultipartUploads",
        "CompleteMultipartUpload", "AbortMultipartUpload",
        // Bucket configuration
        "PutBucketVersioning", "GetBucketVersioning",
        "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging",
        "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus",
        "PutBucketCors", "GetBucketCors", "DeleteBucketCors",
        "PutBucketAcl", "GetBucketAcl",
        "PutBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration", "DeleteBucketLifecycle",
        "PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption",
        "PutBucketNotificationConfiguration", "GetBucketNotificationConfiguration",
        "PutBucketOwnershipControls", "GetBucketOwnershipControls", "DeleteBucketOwnershipControls",
        "PutPublicAccessBlock", "GetPublicAccessBlock", "DeletePublicAccessBlock",
    ]

    struct State {
        var buckets: [String: Bucket] = [:]
        var uploads: [String: Upload] = [:]
        /// Each account's SSE-S3 key (see `sseS3Key`).
        var sseKeys: [String: [UInt8]] = [:]
    }

    /// KMS, for SSE-KMS data keys, and the destinations of bucket notifications (connected
    /// by the server).
    public let invoker: InvokerLink
    /// Delivers bucket notifications through `invoker`.
    let notifier: S3Notifier

    let records: any DurableRecords
    let blobs: BlobStore
    let clock: any SimfraClock
    let state = Mutex(State())
    /// Where AWS/S3 storage metrics go (CloudWatch, connected by the server), and when they last went.
    public let metrics = MetricLink()
    let storageMetricsDay = Mutex(S3StorageMetricsDay())
    /// The private body directory of memory-only mode (removed by `shutdown`).
    let temporaryDirectory: String?

    /// - Parameters:
    ///   - records: durable metadata (memory-only or the data dir's SQLite).
    ///   - blobs: where bodies live: `<dataDir>/s3/` with persistence; in memory-only mode a
    ///     store on `makeTemporaryDirectory()` (bodies are never held in memory).
    ///   - temporaryDirectory: that directory, removed by `shutdown()`.
    package init(records: any DurableRecords, blobs: BlobStore, clock: any SimfraClock = SystemClock(),
                 temporaryDirectory: String? = nil)
    {
        let link = InvokerLink()
        self.invoker = link
        self.notifier = S3Notifier(invoker: link)
        self.records = records
        self.blobs = blobs
        self.clock = clock
        self.temporaryDirectory = temporaryDirectory
        registerMetricsFlush()
    }

    /// Memory-only mode's body directory: `$TMPDIR/simfra-s3-<pid>` (mode 0700). Directories
    /// left by processes that no longer run are removed first.
    package static func makeTemporaryDirectory() throws -> String { try BlobIO.makeTemporaryDirectory() }

    /// Memory-only mode with a temporary directory of its own.
    package convenience init(memoryOnlyWith records: any DurableRecords = MemoryOnlyRecords(), clock: any SimfraClock = SystemClock()) throws {
        let dir = try Self.makeTemporaryDirectory()
        // No grace period: nobody copies a private temporary directory.
        self.init(records: records, blobs: BlobStore(dataDir: dir, grace: 0), clock: clock, temporaryDirectory: dir)
    }

    /// Removes the memory-only body directory (call on SIGTERM/SIGINT).
    public func shutdown() {
        if let temporaryDirectory { BlobIO.removeDirectory(temporaryDirectory) }
    }

    // MARK: - Dispatch

    public func streams(operation: String) -> Bool { operation == "PutObject" || operation == "UploadPart" }

    public func streamsOutput(operation: String) -> Bool { operation == "GetObject" || operation == "HeadObject" }

    public func handle(operation: String, input: Value, body: any BodyStream, context: RequestContext) async throws -> Value {
        try checkPublicAccessBlock(operation, input, context)
        switch operation {
        case "PutObject": return try await putObject(input, body: body, context)
        case "UploadPart": return try await uploadPart(input, body: body, context)
        default: return try await handle(operation: operation, input: input, context: context)
        }
    }

    public func handleStreamingOutput(operation: String, input: Value, context: RequestContext) async throws -> StreamedOutput {
        try await getObject(input, context, head: operation == "HeadObject")
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        try checkPublicAccessBlock(operation, input, context)
        switch operation {
        case "CreateBucket": return try await createBucket(input, context)
        case "HeadBucket": return try headBucket(input, context)
        case "DeleteBucket": return try await deleteBucket(input, context)
        case "ListBuckets": return listBuckets(input, context)
        case "GetBucketLocation": return try getBucketLocation(input, context)
        case "PutObject": return try await putObject(input, body: BufferedBody(input["Body"]), context)
        case "UploadPart": return try await uploadPart(input, body: BufferedBody(input["Body"]), context)
        case "GetObject", "HeadObject": return try await getObject(input, context, head: operation == "HeadObject").output
        case "DeleteObject": return try await deleteObject(input, context)
        case "DeleteObjects": return try await deleteObjects(input, context)
        case "CopyObject": return try await copyObject(input, context)
        case "GetObjectAttributes": return try await getObjectAttributes(input, context)
        case "PutObjectTagging": return try await putObjectTagging(input, context)
        case "GetObjectTagging": return try getObjectTagging(input, context)
        case "DeleteObjectTagging": return try await deleteObjectTagging(input, context)
        case "PutObjectAcl": return try await putObjectAcl(input, context)
        case "GetObjectAcl": return try getObjectAcl(input, context)
        case "ListObjects": return try listObjects(input, context, v2: false)
        case "ListObjectsV2": return try listObjects(input, context, v2: true)
        case "ListObjectVersions": return try listObjectVersions(input, context)
        case "CreateMultipartUpload": return try await createMultipartUpload(input, context)
        case "UploadPartCopy": return try await uploadPartCopy(input, context)
        case "ListParts": return try listParts(input, context)
        case "ListMultipartUploads": return try listMultipartUploads(input, context)
        case "CompleteMultipartUpload": return try await completeMultipartUpload(input, context)
        case "AbortMultipartUpload": return try await abortMultipartUpload(input, context)
        default:
            if let result = try await handleConfiguration(operation, input, context) { return result }
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    /// S3 checks a LocationConstraint itself (`InvalidLocationConstraint`, regions newer than
    /// the model's enum), so it is moved out of the model's enum validation.
    public func prepareInput(operation: String, input: inout Value, path: String, context: RequestContext) {
        if operation == "CreateBucket", let c = input["CreateBucketConfiguration"]?["LocationConstraint"] {
            input["CreateBucketConfiguration"]?["LocationConstraint"] = nil
            input[Self.locationConstraintKey] = c
        }
        if operation == "PutBucketNotificationConfiguration", let c = input["NotificationConfiguration"] {
            input[Self.rawNotificationKey] = c
            input["NotificationConfiguration"] = [:]
        }
        // An unknown versioning status is S3's MalformedXML, not a model enum error.
        if operation == "PutBucketVersioning", let st = input["VersioningConfiguration"]?["Status"]?.stringValue,
            st != "Enabled" && st != "Suspended"
        {
            input["VersioningConfiguration"]?["Status"] = nil
        }
    }

    static let locationConstraintKey = "_LocationConstraint"

    // MARK: - State helpers

    /// Runs `body` under the lock.
    func locked<T: Sendable>(_ body: (inout State) throws(AWSError) -> T) throws(AWSError) -> T {
        try state.withLock { (s: inout State) throws(AWSError) -> T in try body(&s) }
    }

    /// The bucket, checked to exist and, when the request says so, to have the expected
    /// owner. Whether the caller may touch another account's bucket was decided before the
    /// handler ran, by the authoriser (bucket policy, ACLs, identity policies).
    func bucket(_ s: State, _ name: String, _ context: RequestContext, expectedOwner: String? = nil) throws(AWSError) -> Bucket {
        guard let b = s.buckets[name] else { throw S3Errors.noSuchBucket(name) }
        if let e = expectedOwner, e != b.owner { throw S3Errors.accessDenied() }
        return b
    }

    /// The canonical user id S3 shows for an account (64 hex characters, stable).
    static func canonicalID(_ account: String) -> String { Digests.sha256Hex("simfra-canonical-user:" + account) }

    static func ownerValue(_ account: String) -> Value { ["ID": .string(canonicalID(account))] }

    func now() -> Double { clock.now().rounded(.down) }

    /// Removes body files no longer referenced (after the metadata that dropped them
    /// committed), after the blob store's grace period so a live copy of the data directory
    /// still finds every body its copied metadata names.
    func removeBodies(_ paths: [String]) {
        blobs.retire(paths)
    }

    /// A fresh body path for `key` in `bucket`.
    func newBlobPath(bucket: String, key: String) -> String {
        S3PathEncoding.relativePath(bucket: bucket, key: key, generation: Digests.nextGeneration())
    }
}

/// The body of a streaming operation that arrived buffered (the input's payload member).
final class BufferedBody: BodyStream {
    private var bytes: [UInt8]?

    init(_ payload: Value?) {
        switch payload {
        case .blob(let b)?: bytes = b
        case .string(let s)?: bytes = Array(s.utf8)
        default: bytes = nil
        }
        declaredLength = bytes?.count ?? 0
    }

    let declaredLength: Int?
    var trailers: [String: String] { [:] }

    func next() async throws -> [UInt8]? {
        defer { bytes = nil }
        return bytes.flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension Value {
    func str(_ key: String) -> String? {
        if case .string(let s)? = self[key] { return s }
        return nil
    }

    func int64(_ key: String) -> Int64? { self[key]?.intValue }

    func time(_ key: String) -> Double? {
        switch self[key] {
        case .timestamp(let t)?: return t
        case .double(let d)?: return d
        case .integer(let i)?: return Double(i)
        default: return nil
        }
    }
}
