import SimfraCore
import SimfraPersistence
import SimfraProtocols

extension S3Service {
    /// `x-amz-copy-source`: `[/]bucket/key[?versionId=id]`, the key URL-encoded.
    static func parseCopySource(_ raw: String) throws(AWSError) -> (bucket: String, key: String, versionId: String?) {
        var path = Substring(raw)
        var versionId: String?
        if let q = path.firstRange(of: "?versionId=") {
            versionId = String(path[q.upperBound...])
            path = path[..<q.lowerBound]
        }
        let decoded = URLEncoding.decode(String(path), plusIsSpace: false) ?? String(path)
        var d = Substring(decoded)
        if d.hasPrefix("/") { d = d.dropFirst() }
        guard let slash = d.firstIndex(of: "/"), slash != d.startIndex, d.index(after: slash) != d.endIndex else {
            throw S3Errors.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                           name: "x-amz-copy-source", value: raw)
        }
        return (String(d[..<slash]), String(d[d.index(after: slash)...]), versionId)
    }

    struct CopySourceInfo: Sendable {
        var version: ObjectVersion
        var sourceVersioned: Bool
        var fd: Int32?
        var owner: String
    }

    /// Finds and checks a copy source under the lock (existence, delete markers, conditions,
    /// size), opening its body when `open` is set.
    func copySourceLocked(_ s: State, _ input: Value, _ source: (bucket: String, key: String, versionId: String?),
                          context: RequestContext, open: Bool, customer: CustomerKey?) throws(AWSError) -> CopySourceInfo
    {
        let sb = try bucket(s, source.bucket, context, expectedOwner: input.str("ExpectedSourceBucketOwner"))
        let v: ObjectVersion
        if let vid = source.versionId {
            guard let x = sb.version(source.key, vid) else { throw S3Errors.noSuchVersion(source.key, vid) }
            if x.isDeleteMarker {
                throw S3Errors.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
            }
            v = x
        } else {
            guard let x = sb.latest(source.key), !x.isDeleteMarker else { throw S3Errors.noSuchKey(source.key) }
            v = x
        }
        try CustomerKey.verify(customer, for: v.customerKey)
        let conditions = Conditions(
            ifMatch: input.str("CopySourceIfMatch"), ifNoneMatch: input.str("CopySourceIfNoneMatch"),
            ifModifiedSince: input.time("CopySourceIfModifiedSince"), ifUnmodifiedSince: input.time("CopySourceIfUnmodifiedSince"))
        if case .preconditionFailed(let c) = conditions.evaluateForCopy(etag: v.etag, lastModified: v.lastModified) {
            throw S3Errors.preconditionFailed(c)
        }
        var fd: Int32?
        if open, v.size > 0, let p = v.blobPath { fd = try BlobIO.openBody(blobs, p) }
        return CopySourceInfo(version: v, sourceVersioned: sb.versioning != nil, fd: fd, owner: sb.owner)
    }

    /// The plaintext data key of a copy source, when its body is sealed or its key is in KMS
    /// (S3 decrypts the source as the caller: kms:Decrypt on the source's key is needed).
    func copySourceKey(_ info: CopySourceInfo, bucket: String, customer: CustomerKey?, context: RequestContext)
        async throws -> [UInt8]?
    {
        let v = info.version
        guard v.bodyIsSealed || v.encryption?.algorithm.hasPrefix("aws:kms") == true else { return nil }
        do {
            return try await openDataKey(v, customer: customer, bucket: bucket, bucketOwner: info.owner, context: context)
        } catch {
            if let fd = info.fd { BlobIO.closeFD(fd) }
            throw error
        }
    }

    /// Copies `length` plaintext bytes at `offset` of a source (an open file, sealed when
    /// `sourceKey` is given and the version's body is, or an in-memory body) into a new
    /// committed blob sealed under `sealKey`, or into memory when `keepInline` and the source
    /// is there.
    func copyBody(fd: Int32?, source: ObjectVersion, sourceKey: [UInt8]?, offset: Int64, length: Int64, algorithm: String?,
                  bucket: String, key: String, keepInline: Bool, sealKey: [UInt8]?, crc64: Bool = false)
        async throws(AWSError) -> (path: String?, inline: [UInt8]?, md5: [UInt8], checksum: String?, crc64: String?)
    {
        var digest = BodyDigest(algorithm: algorithm)
        var extra = crc64 && algorithm != "CRC64NVME" ? BodyDigest(algorithm: "CRC64NVME", md5: false) : nil
        func finish() -> ([UInt8], String?, String?) {
            let (md5, c) = digest.finish()
            let x = crc64 ? (algorithm == "CRC64NVME" ? c : extra?.finish().checksum) : nil
            return (md5, c, x)
        }
        let inline = source.inlineBody
        guard length > 0, fd != nil || inline != nil else {
            let (md5, c, x) = finish()
            return (nil, nil, md5, c, x)
        }
        let slice = inline.map { Array($0[Int(offset)..<Int(offset + length)]) }
        if let slice, keepInline {
            digest.update(slice)
            extra?.update(slice)
            let (md5, c, x) = finish()
            return (nil, slice, md5, c, x)
        }
        let reader: PlainSource
        if let slice {
            reader = PlainSource(memory: slice)
        } else {
            reader = PlainSource(fd: fd!, dataKey: source.bodyIsSealed ? sourceKey : nil, segments: source.segments,
                                 start: offset, length: length)
        }
        let fresh = newBlobPath(bucket: bucket, key: key)
        var sink: BodySink
        do { sink = BodySink(writer: try blobs.makeWriter(destination: fresh), sealKey: sealKey) } catch {
            throw S3Errors.internalError("cannot create body: \(error)")
        }
        do throws(AWSError) {
            while let chunk = try reader.next() {
                digest.update(chunk)
                extra?.update(chunk)
                do { try sink.write(chunk) } catch { throw S3Errors.internalError("cannot write object body: \(error)") }
            }
            do { try sink.finish() } catch { throw S3Errors.internalError("cannot write object body: \(error)") }
        } catch {
            sink.writer.abort()
            throw error
        }
        let (md5, c, x) = finish()
        let path = try await commitBlob(sink.writer, path: fresh)
        return (path, nil, md5, c, x)
    }

    func copyObject(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        try Self.validateKey(key)
        let source = try Self.parseCopySource(input.str("CopySource") ?? "")
        let directive = input.str("MetadataDirective") ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Errors.invalidArgument("Unknown metadata directive.", name: "MetadataDirective", value: directive)
        }
        let taggingDirective = input.str("TaggingDirective") ?? "COPY"
        guard taggingDirective == "COPY" || taggingDirective == "REPLACE" else {
            throw S3Errors.invalidArgument("Unknown tagging directive.", name: "TaggingDirective", value: taggingDirective)
        }
        let sameKey = source.bucket == bucketName && KeyBytes.equal(source.key, key)
        let customer = try CustomerKey.parse(input)
        let sourceCustomer = try CustomerKey.parse(input, prefix: "CopySource", reading: true)
        try Self.checkEncryptionHeaders(input, customer: customer)
        // Phase 1 (locked): check source and destination; a metadata-only copy onto itself in
        // an unversioned bucket keeps the body file.
        let (info, destConfig, reuse, dest) = try locked {
            s throws(AWSError) -> (CopySourceInfo, [String: Value], Bool, (owner: String, region: String)) in
            let db = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            var info = try copySourceLocked(s, input, source, context: context, open: false, customer: sourceCustomer)
            let v = info.version
            if v.size > Self.maxSinglePut {
                throw S3Errors.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxSinglePut)")
            }
            let selfCopy = sameKey && (source.versionId == nil || source.versionId == db.latest(key)?.versionId)
            if selfCopy && directive == "COPY" && input.str("StorageClass") == nil && input.str("ServerSideEncryption") == nil
                && input.str("WebsiteRedirectLocation") == nil && input.str("SSEKMSKeyId") == nil && customer == nil
            {
                throw S3Errors.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
            }
            // The body file is kept only when its encryption stays as it is.
            let newEncryption = try Self.encryption(input, bucketConfig: db.config["Encryption"])
            let sameEncryption = customer == nil && v.customerKey == nil && newEncryption == v.encryption
            let reuse = selfCopy && db.versioning == nil && (v.blobPath != nil || v.inlineBody != nil) && sameEncryption
            if !reuse, v.size > 0, let p = v.blobPath { info.fd = try BlobIO.openBody(blobs, p) }
            return (info, db.config, reuse, (db.owner, db.region))
        }
        var sourceKey: [UInt8]?
        if !reuse { sourceKey = try await copySourceKey(info, bucket: source.bucket, customer: sourceCustomer, context: context) }
        defer { if let fd = info.fd { BlobIO.closeFD(fd) } }
        let src = info.version
        var nv: ObjectVersion
        if directive == "REPLACE" {
            nv = try objectTemplate(input, key: key, bucketConfig: destConfig, owner: context.accountId)
        } else {
            nv = src
            nv.key = key
            let ownership = destConfig["Ownership"]?["Rules"]?.listValue?.first?.str("ObjectOwnership")
            nv.storageClass = try Self.storageClass(input)
            nv.encryption = try Self.encryption(input, bucketConfig: destConfig["Encryption"])
            nv.acl = try Self.objectACL(input, ownership: ownership)
            if let w = input.str("WebsiteRedirectLocation") { nv.headers.websiteRedirect = w }
        }
        nv.tags = taggingDirective == "REPLACE" ? try Self.parseTaggingHeader(input.str("Tagging")) : src.tags
        nv.owner = context.accountId
        nv.isDeleteMarker = false
        var newPath: String?
        if reuse {
            nv.encryption = src.encryption
            nv.dataKey = src.dataKey
            nv.customerKey = src.customerKey
            nv.blobPath = src.blobPath
            nv.inlineBody = src.inlineBody
            nv.size = src.size
            nv.etag = src.etag
            nv.checksum = src.checksum
            nv.partSizes = src.partSizes
            nv.partChecksums = src.partChecksums
        } else {
            let requested = ChecksumAlgorithms.normalized(input.str("ChecksumAlgorithm"))
            let algorithm = requested ?? src.checksum?.algorithm ?? "CRC64NVME"
            let dek = try await prepareDataKey(&nv, customer: customer, bucket: bucketName, bucketOwner: dest.owner,
                                               bucketRegion: dest.region, context: context)
            let copied = try await copyBody(fd: info.fd, source: src, sourceKey: sourceKey, offset: 0, length: src.size,
                                            algorithm: algorithm, bucket: bucketName, key: key, keepInline: inlinesBodies,
                                            sealKey: dek)
            newPath = copied.path
            nv.blobPath = copied.path
            nv.inlineBody = copied.inline
            nv.size = src.size
            nv.etag = Digests.quotedETag(copied.md5)
            nv.checksum = copied.checksum.map { StoredChecksum(algorithm: algorithm, value: $0, type: "FULL_OBJECT") }
            nv.partSizes = []
            nv.partChecksums = []
        }
        nv.lastModified = now()
        let committed: Committed
        do {
            committed = try locked { s throws(AWSError) -> Committed in
                if reuse, s.buckets[bucketName]?.latest(key)?.seq != src.seq {
                    throw AWSError(code: "OperationAborted",
                                   message: "A conflicting conditional operation is currently in progress against this resource. Please try again.",
                                   status: 409)
                }
                return try commitVersionLocked(&s, bucketName: bucketName, nv, context: context,
                                               ifMatch: input.str("IfMatch"), ifNoneMatch: input.str("IfNoneMatch"))
            }
        } catch {
            if let newPath { removeBodies([newPath]) }
            throw error
        }
        try await committed.commit.wait()
        removeBodies(committed.removed)
        notifyCreated("ObjectCreated:Copy", committed, context: context)
        var result: Value = ["ETag": .string(nv.etag), "LastModified": .timestamp(nv.lastModified)]
        if let c = nv.checksum {
            result[c.member] = .string(c.value)
            result["ChecksumType"] = .string(c.type)
        }
        var out: Value = ["CopyObjectResult": result]
        if let v = committed.versionId { out["VersionId"] = .string(v) }
        if info.sourceVersioned { out["CopySourceVersionId"] = .string(src.versionId) }
        Self.encryptionOutput(nv, into: &out)
        return out
    }
}
