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
    }

    /// Finds and checks a copy source under the lock (existence, delete markers, conditions,
    /// size), opening its body when `open` is set.
    func copySourceLocked(_ s: State, _ input: Value, _ source: (bucket: String, key: String, versionId: String?),
                          context: RequestContext, open: Bool) throws(AWSError) -> CopySourceInfo
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
        let conditions = Conditions(
            ifMatch: input.str("CopySourceIfMatch"), ifNoneMatch: input.str("CopySourceIfNoneMatch"),
            ifModifiedSince: input.time("CopySourceIfModifiedSince"), ifUnmodifiedSince: input.time("CopySourceIfUnmodifiedSince"))
        if case .preconditionFailed(let c) = conditions.evaluateForCopy(etag: v.etag, lastModified: v.lastModified) {
            throw S3Errors.preconditionFailed(c)
        }
        var fd: Int32?
        if open, v.size > 0, let p = v.blobPath { fd = try BlobIO.openBody(blobs, p) }
        return CopySourceInfo(version: v, sourceVersioned: sb.versioning != nil, fd: fd)
    }

    /// Copies `length` bytes at `offset` of a source (an open file, or an in-memory body)
    /// into a new committed blob, or into memory when `keepInline` and the source is there.
    func copyBody(fd: Int32?, inline: [UInt8]?, offset: Int64, length: Int64, algorithm: String?, bucket: String,
                  key: String, keepInline: Bool)
        async throws(AWSError) -> (path: String?, inline: [UInt8]?, md5: [UInt8], checksum: String?)
    {
        var digest = BodyDigest(algorithm: algorithm)
        guard length > 0, fd != nil || inline != nil else {
            let (md5, c) = digest.finish()
            return (nil, nil, md5, c)
        }
        let slice = inline.map { Array($0[Int(offset)..<Int(offset + length)]) }
        if let slice, keepInline {
            digest.update(slice)
            let (md5, c) = digest.finish()
            return (nil, slice, md5, c)
        }
        let fresh = newBlobPath(bucket: bucket, key: key)
        let writer: BlobWriter
        do { writer = try blobs.makeWriter(destination: fresh) } catch {
            throw S3Errors.internalError("cannot create body: \(error)")
        }
        do throws(AWSError) {
            if let slice {
                digest.update(slice)
                do { try writer.write(slice) } catch { throw S3Errors.internalError("cannot write object body: \(error)") }
            } else if let fd {
                try BlobIO.copy(fd: fd, offset: offset, length: length, to: writer, digest: &digest)
            }
        } catch {
            writer.abort()
            throw error
        }
        let (md5, c) = digest.finish()
        let path = try await commitBlob(writer, path: fresh)
        return (path, nil, md5, c)
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
        // Phase 1 (locked): check source and destination; a metadata-only copy onto itself in
        // an unversioned bucket keeps the body file.
        let (info, destConfig, reuse) = try locked { s throws(AWSError) -> (CopySourceInfo, [String: Value], Bool) in
            let db = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            var info = try copySourceLocked(s, input, source, context: context, open: false)
            let v = info.version
            if v.size > Self.maxSinglePut {
                throw S3Errors.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxSinglePut)")
            }
            let selfCopy = sameKey && (source.versionId == nil || source.versionId == db.latest(key)?.versionId)
            if selfCopy && directive == "COPY" && input.str("StorageClass") == nil && input.str("ServerSideEncryption") == nil
                && input.str("WebsiteRedirectLocation") == nil && input.str("SSEKMSKeyId") == nil
            {
                throw S3Errors.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
            }
            let reuse = selfCopy && db.versioning == nil && (v.blobPath != nil || v.inlineBody != nil)
            if !reuse, v.size > 0, let p = v.blobPath { info.fd = try BlobIO.openBody(blobs, p) }
            return (info, db.config, reuse)
        }
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
            let copied = try await copyBody(fd: info.fd, inline: src.inlineBody, offset: 0, length: src.size, algorithm: algorithm,
                                            bucket: bucketName, key: key, keepInline: inlinesBodies)
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
        var result: Value = ["ETag": .string(nv.etag), "LastModified": .timestamp(nv.lastModified)]
        if let c = nv.checksum {
            result[c.member] = .string(c.value)
            result["ChecksumType"] = .string(c.type)
        }
        var out: Value = ["CopyObjectResult": result]
        if let v = committed.versionId { out["VersionId"] = .string(v) }
        if info.sourceVersioned { out["CopySourceVersionId"] = .string(src.versionId) }
        Self.encryptionOutput(nv.encryption, into: &out)
        return out
    }
}
