import SimfraCore
import SimfraProtocols

extension S3Service {
    /// Where a GET/HEAD found its version, and what part of it to send.
    struct Found: Sendable {
        var version: ObjectVersion
        var versioned: Bool
        var status: Int
        var start: Int64
        var length: Int64
        var fd: Int32?
        /// The requested range of an in-memory body.
        var inline: ArraySlice<UInt8>?
        var partsCount: Int?
        var partChecksum: String?
        var owner: String = ""
    }

    /// The version a request names (latest when `versionId` is nil), with S3's errors for
    /// missing keys, missing versions and delete markers.
    static func lookup(_ b: Bucket, key: String, versionId: String?, method: String) throws(AWSError) -> ObjectVersion {
        if let vid = versionId {
            guard let v = b.version(key, vid) else {
                if vid != "null" && !vid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }) {
                    throw S3Errors.invalidVersionId(vid)
                }
                throw S3Errors.noSuchVersion(key, vid)
            }
            if v.isDeleteMarker {
                throw S3Errors.methodNotAllowed(method, resource: "DeleteMarker", headers: [
                    ("x-amz-delete-marker", "true"), ("x-amz-version-id", vid),
                    ("Last-Modified", Timestamp.rfc822(v.lastModified)),
                ])
            }
            return v
        }
        guard let v = b.latest(key) else { throw S3Errors.noSuchKey(key) }
        if v.isDeleteMarker {
            var e = S3Errors.noSuchKey(key)
            e.headers = [("x-amz-delete-marker", "true")]
            if b.versioning != nil { e.headers.append(("x-amz-version-id", v.versionId)) }
            throw e
        }
        return v
    }

    func getObject(_ input: Value, _ context: RequestContext, head: Bool) async throws -> StreamedOutput {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        let versionId = input.str("VersionId")
        let conditions = Conditions(ifMatch: input.str("IfMatch"), ifNoneMatch: input.str("IfNoneMatch"),
                                    ifModifiedSince: input.time("IfModifiedSince"), ifUnmodifiedSince: input.time("IfUnmodifiedSince"))
        let partNumber = input.int64("PartNumber")
        let rangeHeader = input.str("Range")
        let method = head ? "HEAD" : "GET"
        let customer = try CustomerKey.parse(input, reading: true)
        let found = try locked { s throws(AWSError) -> Found in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let v = try Self.lookup(b, key: key, versionId: versionId, method: method)
            try CustomerKey.verify(customer, for: v.customerKey)
            var f = Found(version: v, versioned: b.versioning != nil, status: 200, start: 0, length: v.size, owner: b.owner)
            switch conditions.evaluate(etag: v.etag, lastModified: v.lastModified) {
            case .preconditionFailed(let c): throw S3Errors.preconditionFailed(c)
            case .notModified:
                f.status = 304
                return f
            case .proceed: break
            }
            if let pn = partNumber {
                guard pn >= 1 && pn <= 10000 else {
                    throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                                   name: "partNumber", value: String(pn))
                }
                let sizes = v.isMultipart ? v.partSizes : [v.size]
                guard Int(pn) <= sizes.count else {
                    throw AWSError(code: "InvalidPartNumber", message: "The requested partnumber is not satisfiable", status: 416,
                                   extra: ["PartNumberRequested": .integer(pn), "ActualPartCount": .integer(Int64(sizes.count))])
                }
                f.start = sizes[0..<Int(pn - 1)].reduce(0, +)
                f.length = sizes[Int(pn - 1)]
                f.status = 206
                if v.isMultipart {
                    f.partsCount = sizes.count
                    if Int(pn) <= v.partChecksums.count { f.partChecksum = v.partChecksums[Int(pn - 1)] }
                }
            } else {
                switch ByteRange.parse(rangeHeader, size: v.size) {
                case .ignore: break
                case .unsatisfiable: throw S3Errors.invalidRange(rangeHeader ?? "", size: v.size)
                case .satisfiable(let start, let end):
                    f.start = start
                    f.length = end - start + 1
                    f.status = 206
                }
            }
            if !head, f.length > 0 {
                if let b = v.inlineBody {
                    f.inline = b[Int(f.start)..<Int(f.start + f.length)]
                } else if let path = v.blobPath {
                    f.fd = try BlobIO.openBody(blobs, path)
                }
            }
            return f
        }
        let v = found.version
        var out: Value = ["ETag": .string(v.etag), "LastModified": .timestamp(v.lastModified)]
        if found.versioned { out["VersionId"] = .string(v.versionId) }
        if found.status == 304 {
            return StreamedOutput(output: out, body: nil, status: 304)
        }
        // The data key: SSE-KMS asks KMS (as the caller) on every GET, even of a body kept
        // in memory, so kms:Decrypt and the key's state decide as in AWS; HEAD never decrypts.
        var dataKey: [UInt8]?
        if !head && (v.bodyIsSealed || v.encryption?.algorithm.hasPrefix("aws:kms") == true) {
            do {
                dataKey = try await openDataKey(v, customer: customer, bucket: bucketName, bucketOwner: found.owner,
                                                context: context)
            } catch {
                if let fd = found.fd { BlobIO.closeFD(fd) }
                throw error
            }
        }
        out["AcceptRanges"] = "bytes"
        out["ContentLength"] = .integer(found.length)
        if found.status == 206 {
            let end = found.start + found.length - 1
            out["ContentRange"] = .string("bytes \(found.start)-\(Swift.max(end, found.start))/\(v.size)")
            if found.length == 0 { out["ContentRange"] = .string("bytes */\(v.size)") }
        }
        let h = v.headers
        out["ContentType"] = input.str("ResponseContentType").map(Value.string) ?? h.contentType.map(Value.string)
        out["ContentEncoding"] = input.str("ResponseContentEncoding").map(Value.string) ?? h.contentEncoding.map(Value.string)
        out["ContentDisposition"] = input.str("ResponseContentDisposition").map(Value.string) ?? h.contentDisposition.map(Value.string)
        out["ContentLanguage"] = input.str("ResponseContentLanguage").map(Value.string) ?? h.contentLanguage.map(Value.string)
        out["CacheControl"] = input.str("ResponseCacheControl").map(Value.string) ?? h.cacheControl.map(Value.string)
        if let t = input.time("ResponseExpires") {
            out["Expires"] = .string(Timestamp.rfc822(t))
        } else if let e = h.expires {
            out["Expires"] = .string(e)
        }
        if let w = h.websiteRedirect { out["WebsiteRedirectLocation"] = .string(w) }
        if !v.metadata.isEmpty { out["Metadata"] = .object(v.metadata.mapValues(Value.string)) }
        if v.storageClass != "STANDARD" { out["StorageClass"] = .string(v.storageClass) }
        if !v.tags.isEmpty { out["TagCount"] = .integer(Int64(v.tags.count)) }
        if let pc = found.partsCount { out["PartsCount"] = .integer(Int64(pc)) }
        Self.encryptionOutput(v, into: &out)
        if input.str("ChecksumMode")?.uppercased() == "ENABLED", let c = v.checksum {
            if partNumber != nil, found.partsCount != nil {
                if let pc = found.partChecksum, c.type == "COMPOSITE" {
                    out[c.member] = .string(pc)
                    out["ChecksumType"] = .string(c.type)
                }
            } else if found.status == 200 || (found.start == 0 && found.length == v.size) {
                out[c.member] = .string(c.value)
                out["ChecksumType"] = .string(c.type)
            }
        }
        var body: (any ResponseBody)? = found.fd.map { fd -> any ResponseBody in
            if v.bodyIsSealed, let dataKey {
                return DecryptingBody(fd: fd, dataKey: dataKey, segments: v.segments, start: found.start, length: found.length)
            }
            return FileBody(fd: fd, offset: found.start, length: found.length)
        }
        if let bytes = found.inline { body = InlineBody(bytes) }
        return StreamedOutput(output: out, body: body, status: found.status == 200 ? nil : found.status)
    }

    func getObjectAttributes(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        let wanted = Set((input["ObjectAttributes"]?.listValue ?? []).compactMap(\.stringValue))
        let (v, versioned) = try locked { s throws(AWSError) -> (ObjectVersion, Bool) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            return (try Self.lookup(b, key: key, versionId: input.str("VersionId"), method: "GET"), b.versioning != nil)
        }
        try CustomerKey.verify(try CustomerKey.parse(input, reading: true), for: v.customerKey)
        var out: Value = ["LastModified": .timestamp(v.lastModified)]
        if versioned { out["VersionId"] = .string(v.versionId) }
        if wanted.contains("ETag") { out["ETag"] = .string(Conditions.unquote(v.etag)) }
        if wanted.contains("StorageClass") { out["StorageClass"] = .string(v.storageClass) }
        if wanted.contains("ObjectSize") { out["ObjectSize"] = .integer(v.size) }
        if wanted.contains("Checksum"), let c = v.checksum {
            out["Checksum"] = [c.member: .string(c.value), "ChecksumType": .string(c.type)]
        }
        if wanted.contains("ObjectParts"), v.isMultipart {
            let maxParts = Int(input.int64("MaxParts") ?? 1000)
            let marker = Int(input.int64("PartNumberMarker") ?? 0)
            var parts: [Value] = []
            var n = marker + 1
            while n <= v.partSizes.count && parts.count < maxParts {
                var p: Value = ["PartNumber": .integer(Int64(n)), "Size": .integer(v.partSizes[n - 1])]
                if let c = v.checksum, n <= v.partChecksums.count { p[c.member] = .string(v.partChecksums[n - 1]) }
                parts.append(p)
                n += 1
            }
            let truncated = n <= v.partSizes.count
            var op: Value = [
                "TotalPartsCount": .integer(Int64(v.partSizes.count)), "PartNumberMarker": .integer(Int64(marker)),
                "MaxParts": .integer(Int64(maxParts)), "IsTruncated": .bool(truncated), "Parts": .list(parts),
            ]
            if truncated { op["NextPartNumberMarker"] = .integer(Int64(n - 1)) }
            out["ObjectParts"] = op
        }
        return out
    }
}
