import SimfraCore
import SimfraPersistence
import SimfraProtocols

/// The shared machinery of every operation that creates an object version: the metadata a
/// request carries, receiving a body into the blob store while hashing it, and committing
/// a version into a bucket under its versioning state.
extension S3Service {
    static let maxSinglePut: Int64 = 5 * 1024 * 1024 * 1024
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE",
        "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP",
    ]

    static func validateKey(_ key: String) throws(AWSError) {
        let n = key.utf8.count
        if n > 1024 { throw S3Errors.keyTooLong(n) }
        if n == 0 { throw S3Errors.invalidArgument("Object key must not be empty", name: "key", value: "") }
    }

    /// Tags from the `x-amz-tagging` header (`k1=v1&k2=v2`, form-encoded).
    static func parseTaggingHeader(_ header: String?) throws(AWSError) -> [Tag] {
        guard let header, !header.isEmpty else { return [] }
        let tags = URLEncoding.parsePairs(header, plusIsSpace: true).map { Tag(key: $0.0, value: $0.1) }
        try validateTags(tags, max: 10)
        return tags
    }

    /// A `TagSet` list value (`[{Key, Value}]`).
    static func parseTagSet(_ v: Value?) throws(AWSError) -> [Tag] {
        var tags: [Tag] = []
        for t in v?.listValue ?? [] {
            guard let k = t.str("Key") else { throw S3Errors.malformedXML() }
            tags.append(Tag(key: k, value: t.str("Value") ?? ""))
        }
        return tags
    }

    /// S3's tag rules, with its messages (recorded against AWS): the reserved `aws:` prefix is
    /// worded differently for bucket and object tags.
    /// The count is checked after every tag, as S3 does (a bad tag in a too-long set is what
    /// it reports); too many object tags is a `BadRequest`, as SDK users have seen it.
    static func validateTags(_ tags: [Tag], max: Int, bucket: Bool = false) throws(AWSError) {
        var seen = Set<String>()
        for t in tags {
            if t.key.isEmpty || t.key.count > 128 { throw S3Errors.invalidTag("The TagKey you have provided is invalid", key: t.key) }
            if t.value.count > 256 {
                throw S3Errors.invalidTag("The TagValue you have provided is invalid", key: t.key, value: t.value)
            }
            if t.key.lowercased().hasPrefix("aws:") {
                throw S3Errors.invalidTag(bucket ? "System tags cannot be added/updated by requester" : "Your TagKey cannot be prefixed with aws:",
                                          key: t.key)
            }
            if !seen.insert(t.key).inserted { throw S3Errors.invalidTag("Cannot provide multiple Tags with the same key", key: t.key) }
        }
        if tags.count > max {
            if bucket { throw S3Errors.invalidTag("Bucket tag count cannot be greater than \(max)") }
            throw AWSError(code: "BadRequest", message: "Object tags cannot be greater than \(max)", status: 400)
        }
    }

    static func tagSetValue(_ tags: [Tag]) -> Value {
        .list(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })
    }

    static func contentHeaders(_ input: Value) -> ContentHeaders {
        ContentHeaders(
            contentType: input.str("ContentType"), contentEncoding: storedEncoding(input.str("ContentEncoding")),
            contentDisposition: input.str("ContentDisposition"), contentLanguage: input.str("ContentLanguage"),
            // The model reads `Expires` as a timestamp; S3 answers it back as an HTTP date.
            cacheControl: input.str("CacheControl"), expires: input.str("Expires") ?? input.time("Expires").map(Timestamp.rfc822),
            websiteRedirect: input.str("WebsiteRedirectLocation"))
    }

    /// `aws-chunked` describes how the request body was framed, not the object: S3 drops it
    /// from the stored Content-Encoding (`aws-chunked,gzip` is stored as `gzip`, and
    /// `aws-chunked` alone as nothing).
    static func storedEncoding(_ header: String?) -> String? {
        guard let header, header.lowercased().contains("aws-chunked") else { return header }
        let kept = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0.lowercased() != "aws-chunked" }
        return kept.isEmpty ? nil : kept.joined(separator: ",")
    }

    static func storageClass(_ input: Value) throws(AWSError) -> String {
        guard let sc = input.str("StorageClass") else { return "STANDARD" }
        guard storageClasses.contains(sc) else {
            throw AWSError(code: "InvalidStorageClass", message: "The storage class you specified is not valid", status: 400,
                           extra: ["StorageClassRequested": .string(sc)])
        }
        return sc
    }

    /// The encryption a new object gets: the request's SSE headers, else the bucket default
    /// (SSE-S3 unless configured otherwise).
    static func encryption(_ input: Value, bucketConfig: Value?) throws(AWSError) -> Encryption {
        if let alg = input.str("ServerSideEncryption") {
            guard ["AES256", "aws:kms", "aws:kms:dsse"].contains(alg) else {
                throw S3Errors.invalidArgument("Server Side Encryption with \(alg) is not supported",
                                               name: "x-amz-server-side-encryption", value: alg)
            }
            return Encryption(algorithm: alg, kmsKeyId: alg == "AES256" ? nil : input.str("SSEKMSKeyId"),
                              bucketKeyEnabled: input.bool("BucketKeyEnabled"), context: input.str("SSEKMSEncryptionContext"))
        }
        if let rule = bucketConfig?["Rules"]?.listValue?.first, let d = rule["ApplyServerSideEncryptionByDefault"],
            let alg = d.str("SSEAlgorithm")
        {
            return Encryption(algorithm: alg, kmsKeyId: d.str("KMSMasterKeyID"), bucketKeyEnabled: rule.bool("BucketKeyEnabled"),
                              context: alg == "AES256" ? nil : input.str("SSEKMSEncryptionContext"))
        }
        return Encryption(algorithm: "AES256", kmsKeyId: nil, bucketKeyEnabled: nil, context: nil)
    }

    static func objectACL(_ input: Value, ownership: String?) throws(AWSError) -> String {
        guard let acl = input.str("ACL") else { return "private" }
        guard cannedACLs.contains(acl) else { throw S3Errors.invalidArgument("", name: "x-amz-acl", value: acl) }
        if ownership == "BucketOwnerEnforced" && acl != "private" && acl != "bucket-owner-full-control" {
            throw AWSError(code: "AccessControlListNotSupported", message: "The bucket does not allow ACLs", status: 400)
        }
        return acl
    }

    /// The metadata of a new object from a PutObject / CreateMultipartUpload / CopyObject
    /// (REPLACE) request; size, ETag, body and checksum are filled in later.
    func objectTemplate(_ input: Value, key: String, bucketConfig: [String: Value], owner: String) throws(AWSError) -> ObjectVersion {
        var headers = Self.contentHeaders(input)
        if headers.contentType == nil { headers.contentType = "binary/octet-stream" }
        let ownership = bucketConfig["Ownership"]?["Rules"]?.listValue?.first?.str("ObjectOwnership")
        let metadata = input["Metadata"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:]
        try Self.checkMetadataSize(metadata)
        return ObjectVersion(
            key: key, versionId: "null", seq: 0, isDeleteMarker: false, lastModified: 0, size: 0, etag: "", blobPath: nil,
            headers: headers, metadata: metadata,
            storageClass: try Self.storageClass(input), tags: try Self.parseTaggingHeader(input.str("Tagging")),
            checksum: nil, partSizes: [], partChecksums: [],
            encryption: try Self.encryption(input, bucketConfig: bucketConfig["Encryption"]),
            acl: try Self.objectACL(input, ownership: ownership), owner: owner)
    }

    /// S3's limit on user-defined metadata: the UTF-8 bytes of every name (without
    /// `x-amz-meta-`) and value together.
    static let maxMetadataSize = 2048

    static func checkMetadataSize(_ metadata: [String: String]) throws(AWSError) {
        var size = 0
        for (k, v) in metadata { size += k.utf8.count + v.utf8.count }
        if size > maxMetadataSize { throw S3Errors.metadataTooLarge(size, max: maxMetadataSize) }
    }

    /// What the client said about the body's checksum: a value in a header (to verify), or
    /// only an algorithm (`x-amz-sdk-checksum-algorithm`; the value trails or is computed).
    static func suppliedChecksum(_ input: Value) throws(AWSError) -> (algorithm: String?, value: String?) {
        for alg in ChecksumAlgorithms.all {
            if let v = input.str("Checksum" + alg) {
                guard let raw = Base64.decode(v), raw.count == ChecksumAlgorithms.digestLength(alg) else {
                    throw S3Errors.invalidRequest("Value for x-amz-checksum-\(alg.lowercased()) header is invalid.")
                }
                return (alg, v)
            }
        }
        if let declared = input.str("ChecksumAlgorithm") {
            guard let alg = ChecksumAlgorithms.normalized(declared) else {
                throw S3Errors.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            return (alg, nil)
        }
        return (nil, nil)
    }

    /// Largest body kept in memory (memory-only mode; see `ObjectVersion.inlineBody`).
    static let inlineBodyLimit = 16 * 1024

    /// Whether small bodies stay in memory: only when nothing is persisted.
    var inlinesBodies: Bool { !blobs.durable && !records.isPersistent }

    struct Received {
        var writer: BlobWriter?
        /// The body, when it was kept in memory (non-empty).
        var inline: [UInt8]?
        var md5: [UInt8]
        /// Base64 digest of `algorithm` over the body.
        var checksum: String?
        var algorithm: String?
        var size: Int64
        /// Plaintext CRC64NVME, when asked for.
        var crc64: String? = nil
    }

    /// Reads a request body into a new (uncommitted) blob for `destination`, hashing it on
    /// the way, encrypted under `sealKey` when given (`BodyCipher`). Never holds more than one
    /// chunk, except a body of at most `inlineUpTo` bytes, which is kept whole in memory
    /// instead of written. `crc64` also computes the plaintext CRC64NVME (parts of encrypted
    /// uploads, see `Part.crc64`).
    func receive(_ body: any BodyStream, algorithm: String?, limit: Int64, destination: String, inlineUpTo: Int = 0,
                 sealKey: [UInt8]? = nil, crc64: Bool = false)
        async throws -> Received
    {
        var digest = BodyDigest(algorithm: algorithm)
        var extra = crc64 && algorithm != "CRC64NVME" ? BodyDigest(algorithm: "CRC64NVME", md5: false) : nil
        var sink: BodySink?
        var held: [UInt8]? = inlineUpTo > 0 ? [] : nil
        do {
            while let chunk = try await body.next() {
                if chunk.isEmpty { continue }
                if held != nil, held!.count + chunk.count <= inlineUpTo {
                    digest.update(chunk)
                    extra?.update(chunk)
                    held!.append(contentsOf: chunk)
                    continue
                }
                if sink == nil {
                    sink = BodySink(writer: try blobs.makeWriter(destination: destination), sealKey: sealKey)
                    if let h = held {
                        try sink!.write(h)
                        held = nil
                    }
                }
                try chunk.withUnsafeBytes { buffer in
                    digest.update(buffer)
                    extra?.update(buffer)
                    try sink!.write(buffer)
                }
                if digest.size > limit { throw S3Errors.entityTooLarge(digest.size, max: limit) }
            }
            try sink?.finish()
        } catch {
            sink?.writer.abort()
            throw error
        }
        let size = digest.size
        let (md5, checksum) = digest.finish()
        var r = Received(writer: sink?.writer, inline: held?.isEmpty == false ? held : nil, md5: md5, checksum: checksum,
                         algorithm: algorithm, size: size)
        if crc64 { r.crc64 = algorithm == "CRC64NVME" ? checksum : extra?.finish().checksum }
        return r
    }

    /// Checks Content-MD5 and a supplied checksum against what arrived; takes a trailing
    /// checksum (already verified by the aws-chunked decoder) when one came. Aborts the blob
    /// on failure.
    func verify(_ r: Received, input: Value, supplied: (algorithm: String?, value: String?), trailers: [String: String])
        throws(AWSError) -> StoredChecksum?
    {
        func fail(_ e: AWSError) -> AWSError {
            r.writer?.abort()
            return e
        }
        if let md5 = input.str("ContentMD5") {
            guard let raw = Base64.decode(md5), raw.count == 16 else { throw fail(S3Errors.invalidDigest()) }
            if raw != r.md5 { throw fail(S3Errors.badContentMD5()) }
        }
        if let alg = supplied.algorithm, let expected = supplied.value, let got = r.checksum, expected != got {
            throw fail(S3Errors.badDigest(alg))
        }
        for (name, value) in trailers where name.hasPrefix("x-amz-checksum-") {
            let alg = String(name.dropFirst("x-amz-checksum-".count)).uppercased()
            guard ChecksumAlgorithms.all.contains(alg) else { continue }
            if alg == r.algorithm, let got = r.checksum, got != value { throw fail(S3Errors.badDigest(alg)) }
            return StoredChecksum(algorithm: alg, value: value, type: "FULL_OBJECT")
        }
        if let alg = r.algorithm, let value = r.checksum {
            return StoredChecksum(algorithm: alg, value: value, type: "FULL_OBJECT")
        }
        return nil
    }

    /// Commits a received blob to its fresh path (fsync + rename). With durability the
    /// fsyncs run on a blocking thread: they take milliseconds an event loop must not lose.
    func commitBlob(_ writer: BlobWriter?, path: String) async throws(AWSError) -> String? {
        guard let writer else { return nil }
        do {
            if blobs.durable {
                try await BlobIO.offload { try writer.commit(to: path) }
            } else {
                try writer.commit(to: path)
            }
        } catch {
            throw S3Errors.internalError("cannot store object body: \(error)")
        }
        return path
    }

    struct Committed: Sendable {
        var commit: Commit
        /// Bodies of versions the new one replaced (remove after the commit).
        var removed: [String]
        /// The version id to report (nil when the bucket never had versioning).
        var versionId: String?
        var version: ObjectVersion
        /// Set when the bucket notifies, with the event's sequencer (taken under the lock, so
        /// sequencers of one key follow the order its writes committed in).
        var scope: NotificationScope? = nil
        var sequencer: String? = nil
    }

    /// Puts a new version of `version.key` into the bucket (under the lock): a versioned bucket
    /// keeps older versions, a suspended one replaces the `null` version, an unversioned one
    /// replaces the object. Optional write conditions are checked atomically here.
    func commitVersionLocked(_ s: inout State, bucketName: String, _ version: ObjectVersion, context: RequestContext,
                             ifMatch: String? = nil, ifNoneMatch: String? = nil, extraWrites: [DurableWrite] = [])
        throws(AWSError) -> Committed
    {
        let b = try bucket(s, bucketName, context)
        var v = version
        v.seq = b.takeSeq()
        let key = v.key
        let existing = b.objects[key] ?? []
        if let inm = ifNoneMatch {
            if inm.trimmingCharacters(in: " ") != "*" { throw S3Errors.notImplementedHeader("If-None-Match", inm) }
            if let latest = existing.first, !latest.isDeleteMarker { throw S3Errors.preconditionFailed("If-None-Match") }
        }
        if let im = ifMatch {
            guard let latest = existing.first, !latest.isDeleteMarker else { throw S3Errors.noSuchKey(key) }
            if !Conditions.matches(im, latest.etag) { throw S3Errors.preconditionFailed("If-Match") }
        }
        var kept: [ObjectVersion]
        var replaced: [ObjectVersion]
        switch b.versioning {
        case "Enabled":
            v.versionId = Digests.randomID(32)
            kept = existing
            replaced = []
        case "Suspended":
            v.versionId = "null"
            kept = existing.filter { $0.versionId != "null" }
            replaced = existing.filter { $0.versionId == "null" }
        default:
            v.versionId = "null"
            kept = []
            replaced = existing
        }
        b.objects[key] = [v] + kept
        let removed = replaced.compactMap(\.blobPath).filter { $0 != v.blobPath }
        // Records are encoded only when something stores them (not in memory-only mode).
        var commit = Commit.done
        if records.isPersistent {
            var writes = extraWrites
            writes.append(.put(kind: S3Records.objectKind, account: b.owner, region: b.region,
                               id: S3Records.objectID(bucket: b.name, key: key, versionId: v.versionId), data: S3Records.encode(v)))
            for r in replaced where r.versionId != v.versionId {
                writes.append(.delete(kind: S3Records.objectKind, account: b.owner, region: b.region,
                                      id: S3Records.objectID(bucket: b.name, key: key, versionId: r.versionId)))
            }
            commit = records.apply(writes)
        }
        let scope = b.notificationScope
        return Committed(commit: commit, removed: removed, versionId: b.versioning == nil ? nil : v.versionId, version: v,
                         scope: scope, sequencer: scope == nil ? nil : notifier.sequencer(now: clock.now()))
    }

    /// Output members common to PutObject / CompleteMultipartUpload / CopyObject responses.
    static func encryptionOutput(_ e: Encryption?, into out: inout Value) {
        guard let e else { return }
        out["ServerSideEncryption"] = .string(e.algorithm)
        if let k = e.kmsKeyId { out["SSEKMSKeyId"] = .string(k) }
        if let b = e.bucketKeyEnabled { out["BucketKeyEnabled"] = .bool(b) }
    }

    func putObject(_ input: Value, body: any BodyStream, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        try Self.validateKey(key)
        if let declared = input.int64("ContentLength") ?? body.declaredLength.map(Int64.init), declared > Self.maxSinglePut {
            throw S3Errors.entityTooLarge(declared, max: Self.maxSinglePut)
        }
        let customer = try CustomerKey.parse(input)
        try Self.checkEncryptionHeaders(input, customer: customer)
        let (config, owner, region) = try locked { s throws(AWSError) -> ([String: Value], String, String) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            if input.str("IfNoneMatch")?.trimmingCharacters(in: " ") == "*", let l = b.latest(key), !l.isDeleteMarker {
                throw S3Errors.preconditionFailed("If-None-Match")
            }
            return (b.config, b.owner, b.region)
        }
        if input["WriteOffsetBytes"] != nil {
            throw S3Errors.notImplementedHeader("x-amz-write-offset-bytes", "appends are for directory buckets")
        }
        var template = try objectTemplate(input, key: key, bucketConfig: config, owner: context.accountId)
        let supplied = try Self.suppliedChecksum(input)
        let dek = try await prepareDataKey(&template, customer: customer, bucket: bucketName, bucketOwner: owner,
                                           bucketRegion: region, context: context)
        let fresh = newBlobPath(bucket: bucketName, key: key)
        let received = try await receive(body, algorithm: supplied.algorithm ?? "CRC64NVME", limit: Self.maxSinglePut,
                                         destination: fresh, inlineUpTo: inlinesBodies ? Self.inlineBodyLimit : 0,
                                         sealKey: dek)
        let checksum = try verify(received, input: input, supplied: supplied, trailers: body.trailers)
        let path = try await commitBlob(received.writer, path: fresh)
        template.size = received.size
        template.etag = Digests.quotedETag(received.md5)
        template.blobPath = path
        template.inlineBody = received.inline
        template.checksum = checksum
        template.lastModified = now()
        let committed: Committed
        do {
            committed = try locked { s throws(AWSError) -> Committed in
                try commitVersionLocked(&s, bucketName: bucketName, template, context: context,
                                        ifMatch: input.str("IfMatch"), ifNoneMatch: input.str("IfNoneMatch"))
            }
        } catch {
            if let path { removeBodies([path]) }
            throw error
        }
        try await committed.commit.wait()
        removeBodies(committed.removed)
        notifyCreated("ObjectCreated:Put", committed, context: context)
        var out: Value = ["ETag": .string(template.etag)]
        if let v = committed.versionId { out["VersionId"] = .string(v) }
        // The checksum comes back whether the client sent one or S3 added its default
        // (CRC64NVME, for uploads without a checksum).
        if let c = checksum {
            out[c.member] = .string(c.value)
            out["ChecksumType"] = .string(c.type)
        }
        Self.encryptionOutput(template, into: &out)
        return out
    }
}

extension S3Errors {
    static func notImplementedHeader(_ header: String, _ value: String) -> AWSError {
        AWSError(code: "NotImplemented", message: "A header you provided implies functionality that is not implemented",
                 status: 501, extra: ["Header": .string(header)])
    }
}
