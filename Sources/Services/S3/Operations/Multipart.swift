import SimfraCore
import SimfraPersistence
import SimfraProtocols

/// The rules CompleteMultipartUpload enforces, as plain functions of the upload's parts and
/// the request (tested without I/O).
enum MultipartRules {
    static let minPartSize: Int64 = 5 * 1024 * 1024
    static let maxPartSize: Int64 = 5 * 1024 * 1024 * 1024
    static let maxParts = 10000

    struct Requested: Equatable {
        var number: Int
        var etag: String
        var checksum: String?
    }

    /// The parts the object is made of, in order, or S3's error: `InvalidPartOrder` when the
    /// list is not strictly ascending, `InvalidPart` for a missing part or a wrong ETag or
    /// checksum, `EntityTooSmall` for a part under 5 MiB that is not the last.
    static func select(_ requested: [Requested], from parts: [Int: Part], uploadId: String) throws(AWSError) -> [Part]
    {
        if requested.isEmpty {
            throw AWSError(code: "MalformedXML",
                           message: "The XML you provided was not well-formed or did not validate against our published schema",
                           status: 400)
        }
        var previous = 0
        for r in requested {
            if r.number <= previous {
                throw AWSError(code: "InvalidPartOrder",
                               message: "The list of parts was not in ascending order. Parts must be ordered by part number.",
                               status: 400, extra: ["UploadId": .string(uploadId)])
            }
            previous = r.number
        }
        var selected: [Part] = []
        selected.reserveCapacity(requested.count)
        for r in requested {
            guard let p = parts[r.number], Conditions.unquote(p.etag) == Conditions.unquote(r.etag) else {
                throw invalidPart(uploadId, r)
            }
            if let given = r.checksum, let stored = p.checksum, given != stored { throw invalidPart(uploadId, r) }
            selected.append(p)
        }
        for (i, p) in selected.enumerated() where i < selected.count - 1 && p.size < minPartSize {
            throw AWSError(code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed object size.",
                           status: 400, extra: [
                               "ProposedSize": .integer(p.size), "MinSizeAllowed": .integer(minPartSize),
                               "PartNumber": .integer(Int64(p.number)), "ETag": .string(Conditions.unquote(p.etag)),
                           ])
        }
        return selected
    }

    static func invalidPart(_ uploadId: String, _ r: Requested) -> AWSError {
        AWSError(code: "InvalidPart",
                 message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
                 status: 400, extra: [
                     "UploadId": .string(uploadId), "PartNumber": .integer(Int64(r.number)),
                     "ETag": .string(Conditions.unquote(r.etag)),
                 ])
    }

    static func validPartNumber(_ n: Int64?) throws(AWSError) -> Int {
        guard let n, n >= 1, n <= Int64(maxParts) else {
            throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                           name: "partNumber", value: n.map { String($0) } ?? "")
        }
        return Int(n)
    }
}

extension S3Service {
    func uploadLocked(_ s: State, _ input: Value, _ context: RequestContext) throws(AWSError) -> (Bucket, Upload) {
        let bucketName = input.str("Bucket") ?? ""
        let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
        let id = input.str("UploadId") ?? ""
        guard let u = s.uploads[id], u.bucket == bucketName, KeyBytes.equal(u.key, input.str("Key") ?? "") else {
            throw S3Errors.noSuchUpload(id)
        }
        return (b, u)
    }

    func createMultipartUpload(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        try Self.validateKey(key)
        let algorithm = try input.str("ChecksumAlgorithm").map { a throws(AWSError) -> String in
            guard let n = ChecksumAlgorithms.normalized(a) else {
                throw S3Errors.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            return n
        }
        var type = input.str("ChecksumType")
        if let t = type {
            guard t == "COMPOSITE" || t == "FULL_OBJECT" else {
                throw S3Errors.invalidRequest("Value for x-amz-checksum-type header is invalid.")
            }
            guard let a = algorithm else {
                throw S3Errors.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
            }
            if t == "FULL_OBJECT" && !ChecksumAlgorithms.supportsFullObject(a) {
                throw S3Errors.invalidRequest("The FULL_OBJECT checksum type cannot be used with the \(a.lowercased()) checksum algorithm.")
            }
            if t == "COMPOSITE" && a == "CRC64NVME" {
                throw S3Errors.invalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
            }
        } else if let a = algorithm {
            type = ChecksumAlgorithms.defaultType(a)
        }
        let initiated = now()
        let uploadId = Digests.randomID(48)
        let customer = try CustomerKey.parse(input)
        try Self.checkEncryptionHeaders(input, customer: customer)
        let (config, owner, region) = try locked { s throws(AWSError) -> ([String: Value], String, String) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            return (b.config, b.owner, b.region)
        }
        var template = try objectTemplate(input, key: key, bucketConfig: config, owner: context.accountId)
        // The upload's one data key: every part is sealed under it (see `BodyCipher`).
        _ = try await prepareDataKey(&template, customer: customer, bucket: bucketName, bucketOwner: owner,
                                     bucketRegion: region, context: context)
        let (upload, commit) = try locked { s throws(AWSError) -> (Upload, Commit) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let u = Upload(uploadId: uploadId, bucket: bucketName, key: key, initiated: initiated, owner: context.accountId,
                           template: template, checksumAlgorithm: algorithm, checksumType: type)
            s.uploads[uploadId] = u
            let commit = records.put(kind: S3Records.uploadKind, account: b.owner, region: b.region,
                                     id: S3Records.uploadID(bucket: bucketName, uploadId: uploadId), data: S3Records.encode(u))
            return (u, commit)
        }
        try await commit.wait()
        var out: Value = ["Bucket": .string(bucketName), "Key": .string(key), "UploadId": .string(uploadId)]
        if let a = upload.checksumAlgorithm { out["ChecksumAlgorithm"] = .string(a) }
        if let t = upload.checksumType { out["ChecksumType"] = .string(t) }
        Self.encryptionOutput(upload.template, into: &out)
        return out
    }

    /// The data key a part is sealed with: a part of an SSE-C upload must present the
    /// upload's key (and only such a part may present one); SSE-KMS asks KMS as the caller.
    func partDataKey(_ upload: Upload, _ input: Value, _ context: RequestContext) async throws -> [UInt8]? {
        let customer = try CustomerKey.parse(input)
        switch (customer, upload.template.customerKey) {
        case (nil, .some), (.some, nil):
            throw S3Errors.invalidRequest("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
        case (.some(let k), .some(let c)) where !k.matches(c):
            throw S3Errors.invalidRequest("The provided encryption parameters did not match the ones used originally.")
        default: break
        }
        let owner = try locked { s throws(AWSError) -> String in try bucket(s, upload.bucket, context).owner }
        return try await openDataKey(upload.template, customer: customer, bucket: upload.bucket, bucketOwner: owner, context: context)
    }

    /// Stores a part (new blob committed) and its record, replacing an earlier part of the
    /// same number; returns the upload's encryption for the response.
    func commitPart(_ input: Value, _ context: RequestContext, _ part: Part) async throws -> Upload {
        let committed: (Upload, Commit, String?)
        do {
            committed = try locked { s throws(AWSError) -> (Upload, Commit, String?) in
                let (b, u) = try uploadLocked(s, input, context)
                var upload = u
                let old = upload.parts[part.number]?.blobPath
                upload.parts[part.number] = part
                s.uploads[u.uploadId] = upload
                let commit = !records.isPersistent ? Commit.done : records.put(
                    kind: S3Records.partKind, account: b.owner, region: b.region,
                    id: S3Records.partID(bucket: b.name, uploadId: u.uploadId, part: part.number),
                    data: S3Records.encode(part, uploadId: u.uploadId))
                return (upload, commit, old == part.blobPath ? nil : old)
            }
        } catch {
            if let p = part.blobPath { removeBodies([p]) }
            throw error
        }
        try await committed.1.wait()
        if let old = committed.2 { removeBodies([old]) }
        return committed.0
    }

    func uploadPart(_ input: Value, body: any BodyStream, _ context: RequestContext) async throws -> Value {
        let number = try MultipartRules.validPartNumber(input.int64("PartNumber"))
        if let declared = input.int64("ContentLength") ?? body.declaredLength.map(Int64.init), declared > MultipartRules.maxPartSize {
            throw S3Errors.entityTooLarge(declared, max: MultipartRules.maxPartSize)
        }
        let upload = try locked { s throws(AWSError) -> Upload in try uploadLocked(s, input, context).1 }
        let supplied = try Self.suppliedChecksum(input)
        if let a = supplied.algorithm, let ua = upload.checksumAlgorithm, a != ua {
            throw S3Errors.invalidRequest("Checksum Type mismatch occurred, expected checksum Type: \(ua.lowercased()), actual checksum Type: \(a.lowercased())")
        }
        let algorithm = upload.checksumAlgorithm ?? supplied.algorithm
        let dek = try await partDataKey(upload, input, context)
        let fresh = newBlobPath(bucket: upload.bucket, key: upload.key)
        let received = try await receive(body, algorithm: algorithm, limit: MultipartRules.maxPartSize, destination: fresh,
                                         sealKey: dek, crc64: dek != nil && upload.checksumAlgorithm == nil)
        let checksum = try verify(received, input: input, supplied: supplied, trailers: body.trailers)
        let path = try await commitBlob(received.writer, path: fresh)
        var part = Part(number: number, size: received.size, etag: Digests.quotedETag(received.md5), lastModified: now(),
                        blobPath: path, checksum: upload.checksumAlgorithm != nil ? checksum?.value : nil)
        part.crc64 = received.crc64
        let u = try await commitPart(input, context, part)
        var out: Value = ["ETag": .string(part.etag)]
        if let c = checksum, supplied.algorithm != nil || u.checksumAlgorithm != nil || !body.trailers.isEmpty {
            out[c.member] = .string(c.value)
        }
        Self.encryptionOutput(u.template, into: &out)
        return out
    }

    func uploadPartCopy(_ input: Value, _ context: RequestContext) async throws -> Value {
        let number = try MultipartRules.validPartNumber(input.int64("PartNumber"))
        let source = try Self.parseCopySource(input.str("CopySource") ?? "")
        let sourceCustomer = try CustomerKey.parse(input, prefix: "CopySource", reading: true)
        let upload = try locked { s throws(AWSError) -> Upload in try uploadLocked(s, input, context).1 }
        let dek = try await partDataKey(upload, input, context)
        let info = try locked { s throws(AWSError) -> CopySourceInfo in
            _ = try uploadLocked(s, input, context)
            return try copySourceLocked(s, input, source, context: context, open: true, customer: sourceCustomer)
        }
        let sourceKey = try await copySourceKey(info, bucket: source.bucket, customer: sourceCustomer, context: context)
        defer { if let fd = info.fd { BlobIO.closeFD(fd) } }
        let src = info.version
        var start: Int64 = 0
        var length = src.size
        if let range = input.str("CopySourceRange") {
            let r = ByteRange.parseCopyRange(range, size: src.size)
            guard r.valid else {
                throw S3Errors.invalidArgument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                    name: "x-amz-copy-source-range", value: range)
            }
            guard r.inBounds else {
                throw S3Errors.invalidArgument("Range specified is not valid for source object of size: \(src.size)",
                                               name: "x-amz-copy-source-range", value: range)
            }
            start = r.start
            length = r.end - r.start + 1
        }
        if length > MultipartRules.maxPartSize { throw S3Errors.entityTooLarge(length, max: MultipartRules.maxPartSize) }
        let copied = try await copyBody(fd: info.fd, source: info.version, sourceKey: sourceKey, offset: start, length: length,
                                        algorithm: upload.checksumAlgorithm, bucket: upload.bucket, key: upload.key,
                                        keepInline: false, sealKey: dek, crc64: dek != nil && upload.checksumAlgorithm == nil)
        var part = Part(number: number, size: length, etag: Digests.quotedETag(copied.md5), lastModified: now(),
                        blobPath: copied.path, checksum: copied.checksum)
        part.crc64 = copied.crc64
        let u = try await commitPart(input, context, part)
        var result: Value = ["ETag": .string(part.etag), "LastModified": .timestamp(part.lastModified)]
        if let a = u.checksumAlgorithm, let c = copied.checksum { result["Checksum" + a] = .string(c) }
        var out: Value = ["CopyPartResult": result]
        if info.sourceVersioned { out["CopySourceVersionId"] = .string(src.versionId) }
        Self.encryptionOutput(u.template, into: &out)
        return out
    }

    func listParts(_ input: Value, _ context: RequestContext) throws -> Value {
        let upload = try locked { s throws(AWSError) -> Upload in try uploadLocked(s, input, context).1 }
        let maxParts = Int(min(max(input.int64("MaxParts") ?? 1000, 0), 1000))
        let marker = Int(input.int64("PartNumberMarker") ?? 0)
        let all = upload.parts.values.filter { $0.number > marker }.sorted { $0.number < $1.number }
        let page = Array(all.prefix(maxParts))
        let truncated = all.count > page.count
        var out: Value = [
            "Bucket": .string(upload.bucket), "Key": .string(upload.key), "UploadId": .string(upload.uploadId),
            "PartNumberMarker": .integer(Int64(marker)), "MaxParts": .integer(Int64(maxParts)), "IsTruncated": .bool(truncated),
            "Initiator": ["ID": .string(Self.canonicalID(upload.owner))], "Owner": Self.ownerValue(upload.owner),
            "StorageClass": .string(upload.template.storageClass),
            "Parts": .list(page.map { p in
                var o: Value = ["PartNumber": .integer(Int64(p.number)), "LastModified": .timestamp(p.lastModified),
                                "ETag": .string(p.etag), "Size": .integer(p.size)]
                if let a = upload.checksumAlgorithm, let c = p.checksum { o["Checksum" + a] = .string(c) }
                return o
            }),
        ]
        if let last = page.last { out["NextPartNumberMarker"] = .integer(Int64(last.number)) }
        if let a = upload.checksumAlgorithm { out["ChecksumAlgorithm"] = .string(a) }
        if let t = upload.checksumType { out["ChecksumType"] = .string(t) }
        if page.isEmpty { out["Parts"] = nil }
        return out
    }

    func listMultipartUploads(_ input: Value, _ context: RequestContext) throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let prefix = input.str("Prefix") ?? ""
        let delimiter = input.str("Delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let maxUploads = try Self.maxKeys(input, "MaxUploads")
        let url = try Self.encodingType(input)
        let encode = Self.encoder(url)
        let uploads = try locked { s throws(AWSError) -> [Upload] in
            _ = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            return s.uploads.values.filter { $0.bucket == bucketName }
        }
        let page = Listing.uploads(uploads, prefix: prefix, delimiter: delimiter, keyMarker: input.str("KeyMarker"),
                                   uploadIdMarker: input.str("UploadIdMarker"), maxUploads: maxUploads)
        var out: Value = [
            "Bucket": .string(bucketName), "KeyMarker": .string(encode(input.str("KeyMarker") ?? "")),
            "UploadIdMarker": .string(input.str("UploadIdMarker") ?? ""), "Prefix": .string(encode(prefix)),
            "MaxUploads": .integer(Int64(maxUploads)), "IsTruncated": .bool(page.truncated),
        ]
        if !page.uploads.isEmpty {
            out["Uploads"] = .list(page.uploads.map { u in
                var o: Value = [
                    "UploadId": .string(u.uploadId), "Key": .string(encode(u.key)), "Initiated": .timestamp(u.initiated),
                    "StorageClass": .string(u.template.storageClass), "Owner": Self.ownerValue(u.owner),
                    "Initiator": ["ID": .string(Self.canonicalID(u.owner))],
                ]
                if let a = u.checksumAlgorithm { o["ChecksumAlgorithm"] = .string(a) }
                if let t = u.checksumType { o["ChecksumType"] = .string(t) }
                return o
            })
        }
        if !page.commonPrefixes.isEmpty { out["CommonPrefixes"] = .list(page.commonPrefixes.map { ["Prefix": .string(encode($0))] }) }
        if let delimiter { out["Delimiter"] = .string(encode(delimiter)) }
        if url { out["EncodingType"] = "url" }
        if let k = page.nextKey { out["NextKeyMarker"] = .string(encode(k)) }
        if let u = page.nextUploadId { out["NextUploadIdMarker"] = .string(u) }
        return out
    }

    /// The record deletions of an upload that ends (completed, aborted, or gone with its bucket).
    static func uploadRemoval(_ u: Upload, owner: String, region: String) -> [DurableWrite] {
        var writes: [DurableWrite] = [.delete(kind: S3Records.uploadKind, account: owner, region: region,
                                              id: S3Records.uploadID(bucket: u.bucket, uploadId: u.uploadId))]
        for p in u.parts.values {
            writes.append(.delete(kind: S3Records.partKind, account: owner, region: region,
                                  id: S3Records.partID(bucket: u.bucket, uploadId: u.uploadId, part: p.number)))
        }
        return writes
    }

    func abortMultipartUpload(_ input: Value, _ context: RequestContext) async throws -> Value {
        let (commit, paths) = try locked { s throws(AWSError) -> (Commit, [String]) in
            let (b, u) = try uploadLocked(s, input, context)
            s.uploads[u.uploadId] = nil
            return (records.apply(Self.uploadRemoval(u, owner: b.owner, region: b.region)), u.parts.values.compactMap(\.blobPath))
        }
        try await commit.wait()
        removeBodies(paths)
        return [:]
    }

    func completeMultipartUpload(_ input: Value, _ context: RequestContext) async throws -> Value {
        let requested: [MultipartRules.Requested] = (input["MultipartUpload"]?["Parts"]?.listValue ?? []).map { p in
            var checksum: String?
            for m in ChecksumAlgorithms.members { if let c = p.str(m) { checksum = c } }
            return MultipartRules.Requested(number: Int(p.int64("PartNumber") ?? 0), etag: p.str("ETag") ?? "", checksum: checksum)
        }
        let upload = try locked { s throws(AWSError) -> Upload in try uploadLocked(s, input, context).1 }
        let parts = try MultipartRules.select(requested, from: upload.parts, uploadId: upload.uploadId)
        // Under SSE-KMS S3 reads the parts to complete, so the caller needs kms:Decrypt (as in
        // AWS); the parts themselves are concatenated sealed.
        if upload.template.encryption?.algorithm.hasPrefix("aws:kms") == true, upload.template.customerKey == nil {
            let owner = try locked { s throws(AWSError) -> String in try bucket(s, upload.bucket, context).owner }
            _ = try await openDataKey(upload.template, customer: nil, bucket: upload.bucket, bucketOwner: owner, context: context)
        }
        if let declared = input.int64("MpuObjectSize"), declared != parts.reduce(0, { $0 + $1.size }) {
            throw S3Errors.invalidRequest("The provided 'x-amz-mp-object-size' header value \(declared) does not match what was computed: \(parts.reduce(0, { $0 + $1.size }))")
        }
        // The object's checksum from its parts' (every part must carry one when the upload has an algorithm).
        var checksum: StoredChecksum?
        if let a = upload.checksumAlgorithm {
            let type = upload.checksumType ?? ChecksumAlgorithms.defaultType(a)
            let withSums = parts.compactMap { p in p.checksum.map { ($0, p.size) } }
            if withSums.count == parts.count, let value = Digests.multipartChecksum(algorithm: a, type: type, parts: withSums) {
                checksum = StoredChecksum(algorithm: a, value: value, type: type)
                for m in ChecksumAlgorithms.members where m == "Checksum" + a {
                    if let expected = input.str(m), expected != value {
                        throw S3Errors.badDigest(a)
                    }
                }
            } else if type == "FULL_OBJECT" || !withSums.isEmpty {
                throw S3Errors.invalidRequest("The upload was created using a \(a.lowercased()) checksum. The complete request must include the checksum for each part. It was missing for part \(parts.first { $0.checksum == nil }?.number ?? 0) in the request.")
            }
        }
        // Concatenate the parts into one body (streamed, bounded memory). An upload created
        // without a checksum gets S3's default, a full-object CRC64NVME, computed on the way.
        let total = parts.reduce(Int64(0)) { $0 + $1.size }
        var path: String?
        let defaultChecksum = upload.checksumAlgorithm == nil
        // Sealed parts are concatenated as they are (each is a segment of the object's body):
        // no key is needed, and the default checksum combines the parts' plaintext CRC64NVMEs.
        let sealed = upload.template.dataKey != nil
        var digest = BodyDigest(algorithm: defaultChecksum && !sealed ? "CRC64NVME" : nil, md5: false)
        if total > 0 {
            let fresh = newBlobPath(bucket: upload.bucket, key: upload.key)
            let writer: BlobWriter
            do { writer = try blobs.makeWriter(destination: fresh) } catch {
                throw S3Errors.internalError("cannot create body: \(error)")
            }
            do {
                for p in parts where p.size > 0 {
                    guard let pp = p.blobPath else { continue }
                    let fd = try BlobIO.openBody(blobs, pp)
                    defer { BlobIO.closeFD(fd) }
                    let stored = sealed ? BodyCipher.sealedSize(p.size) : p.size
                    try BlobIO.copy(fd: fd, offset: 0, length: stored, to: writer, digest: &digest)
                }
            } catch {
                writer.abort()
                throw error
            }
            path = try await commitBlob(writer, path: fresh)
        }
        if defaultChecksum, sealed {
            let sums = parts.compactMap { p in p.crc64.map { ($0, p.size) } }
            if sums.count == parts.count,
                let value = Digests.multipartChecksum(algorithm: "CRC64NVME", type: "FULL_OBJECT", parts: sums)
            {
                checksum = StoredChecksum(algorithm: "CRC64NVME", value: value, type: "FULL_OBJECT")
            }
        } else if defaultChecksum, let value = digest.finish().checksum {
            checksum = StoredChecksum(algorithm: "CRC64NVME", value: value, type: "FULL_OBJECT")
        }
        var v = upload.template
        v.size = total
        v.etag = Digests.multipartETag(parts.map(\.etag))
        v.blobPath = path
        v.checksum = checksum
        v.partSizes = parts.map(\.size)
        v.partChecksums = checksum != nil && !defaultChecksum ? parts.compactMap(\.checksum) : []
        v.lastModified = now()
        let committed: Committed
        let partPaths: [String]
        do {
            (committed, partPaths) = try locked { s throws(AWSError) -> (Committed, [String]) in
                let (b, u) = try uploadLocked(s, input, context)
                s.uploads[u.uploadId] = nil
                let writes = Self.uploadRemoval(u, owner: b.owner, region: b.region)
                do throws(AWSError) {
                    let c = try commitVersionLocked(&s, bucketName: b.name, v, context: context, ifMatch: input.str("IfMatch"),
                                                    ifNoneMatch: input.str("IfNoneMatch"), extraWrites: writes)
                    return (c, u.parts.values.compactMap(\.blobPath))
                } catch {
                    s.uploads[u.uploadId] = u  // a failed condition leaves the upload in place
                    throw error
                }
            }
        } catch {
            if let path { removeBodies([path]) }
            throw error
        }
        try await committed.commit.wait()
        removeBodies(committed.removed + partPaths)
        notifyCreated("ObjectCreated:CompleteMultipartUpload", committed, context: context)
        var out: Value = [
            "Location": .string("\(context.endpoint)/\(upload.bucket)/\(URLEncoding.encode(upload.key, keepSlash: true))"),
            "Bucket": .string(upload.bucket), "Key": .string(upload.key), "ETag": .string(v.etag),
        ]
        if let c = checksum {
            out[c.member] = .string(c.value)
            out["ChecksumType"] = .string(c.type)
        }
        if let id = committed.versionId { out["VersionId"] = .string(id) }
        // S3 does not repeat SSE-C's headers here (recorded); SSE-S3/KMS ones it does.
        if v.customerKey == nil { Self.encryptionOutput(v.encryption, into: &out) }
        return out
    }
}
