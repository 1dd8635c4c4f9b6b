import SimfraCore
import SimfraProtocols

extension S3Service {
    static func maxKeys(_ input: Value, _ member: String = "MaxKeys") throws(AWSError) -> Int {
        guard let m = input.int(member) else { return 1000 }
        if m < 0 {
            throw S3Errors.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: String(m))
        }
        return Int(min(m, 1000))
    }

    static func encodingType(_ input: Value) throws(AWSError) -> Bool {
        guard let e = input.str("EncodingType") else { return false }
        guard e == "url" else { throw S3Errors.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: e) }
        return true
    }

    /// encoding-type=url: percent-encode everything but unreserved characters and `/`
    /// (botocore decodes with unquote_plus, so `+` must be escaped).
    static func encoder(_ url: Bool) -> (String) -> String {
        url ? { URLEncoding.encode($0, keepSlash: true) } : { $0 }
    }

    static func contentsEntry(_ v: ObjectVersion, fetchOwner: Bool, encode: (String) -> String) -> Value {
        var o: Value = [
            "Key": .string(encode(v.key)), "LastModified": .timestamp(v.lastModified), "ETag": .string(v.etag),
            "Size": .integer(v.size), "StorageClass": .string(v.storageClass),
        ]
        if let c = v.checksum {
            o["ChecksumAlgorithm"] = .list([.string(c.algorithm)])
            o["ChecksumType"] = .string(c.type)
        }
        if fetchOwner { o["Owner"] = ownerValue(v.owner) }
        return o
    }

    func listObjects(_ input: Value, _ context: RequestContext, v2: Bool) throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let prefix = input.str("Prefix") ?? ""
        let delimiter = input.str("Delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let maxKeys = try Self.maxKeys(input)
        let url = try Self.encodingType(input)
        let encode = Self.encoder(url)
        var marker: String?
        var token: String?
        let startAfter = input.str("StartAfter").flatMap { $0.isEmpty ? nil : $0 }
        if v2 {
            if let t = input.str("ContinuationToken") {
                guard !t.isEmpty, let raw = Base64.decode(t), let m = String(validating: raw, as: UTF8.self) else {
                    throw S3Errors.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: t)
                }
                token = t
                marker = m
            } else {
                marker = startAfter
            }
        } else {
            marker = input.str("Marker").flatMap { $0.isEmpty ? nil : $0 }
        }
        let page = try locked { s throws(AWSError) -> ListPage in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let p = Listing.objects(b.objects, prefix: prefix, delimiter: delimiter, after: marker, maxKeys: maxKeys)
            return ListPage(contents: p.contents, commonPrefixes: p.commonPrefixes, isTruncated: p.isTruncated, last: p.lastReturned)
        }
        let fetchOwner = v2 ? (input.bool("FetchOwner") ?? false) : true
        var out: Value = [
            "Name": .string(bucketName), "Prefix": .string(encode(prefix)), "MaxKeys": .integer(Int64(maxKeys)),
            "IsTruncated": .bool(page.isTruncated),
            "Contents": .list(page.contents.map { Self.contentsEntry($0, fetchOwner: fetchOwner, encode: encode) }),
            "CommonPrefixes": .list(page.commonPrefixes.map { ["Prefix": .string(encode($0))] }),
        ]
        if page.contents.isEmpty { out["Contents"] = nil }
        if page.commonPrefixes.isEmpty { out["CommonPrefixes"] = nil }
        if let delimiter { out["Delimiter"] = .string(encode(delimiter)) }
        if url { out["EncodingType"] = "url" }
        if v2 {
            out["KeyCount"] = .integer(Int64(page.contents.count + page.commonPrefixes.count))
            if let token { out["ContinuationToken"] = .string(token) }
            if let startAfter { out["StartAfter"] = .string(encode(startAfter)) }
            if page.isTruncated, let last = page.last { out["NextContinuationToken"] = .string(Base64.encode(Array(last.utf8))) }
        } else {
            out["Marker"] = .string(encode(marker ?? ""))
            if page.isTruncated, delimiter != nil, let last = page.last { out["NextMarker"] = .string(encode(last)) }
        }
        return out
    }

    struct ListPage: Sendable {
        var contents: [ObjectVersion]
        var commonPrefixes: [String]
        var isTruncated: Bool
        var last: String?
    }

    struct VersionListPage: Sendable {
        var entries: [ObjectVersion]
        var latest: [Bool]
        var commonPrefixes: [String]
        var isTruncated: Bool
        var nextKeyMarker: String?
        var nextVersionIdMarker: String?
    }

    func listObjectVersions(_ input: Value, _ context: RequestContext) throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let prefix = input.str("Prefix") ?? ""
        let delimiter = input.str("Delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let maxKeys = try Self.maxKeys(input)
        let url = try Self.encodingType(input)
        let encode = Self.encoder(url)
        let keyMarker = input.str("KeyMarker")
        let versionIdMarker = input.str("VersionIdMarker")
        if versionIdMarker != nil && (keyMarker ?? "").isEmpty {
            throw S3Errors.invalidArgument("A version-id marker cannot be specified without a key marker.",
                                           name: "version-id-marker", value: versionIdMarker)
        }
        let page = try locked { s throws(AWSError) -> VersionListPage in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let p = Listing.versions(b.objects, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
                                     versionIdMarker: versionIdMarker, maxKeys: maxKeys)
            return VersionListPage(entries: p.entries.map(\.version), latest: p.entries.map(\.isLatest),
                                   commonPrefixes: p.commonPrefixes, isTruncated: p.isTruncated,
                                   nextKeyMarker: p.nextKeyMarker, nextVersionIdMarker: p.nextVersionIdMarker)
        }
        var versions: [Value] = []
        var markers: [Value] = []
        for (i, v) in page.entries.enumerated() {
            var o: Value = [
                "Key": .string(encode(v.key)), "VersionId": .string(v.versionId), "IsLatest": .bool(page.latest[i]),
                "LastModified": .timestamp(v.lastModified), "Owner": Self.ownerValue(v.owner),
            ]
            if v.isDeleteMarker {
                markers.append(o)
            } else {
                o["ETag"] = .string(v.etag)
                o["Size"] = .integer(v.size)
                o["StorageClass"] = .string(v.storageClass)
                if let c = v.checksum {
                    o["ChecksumAlgorithm"] = .list([.string(c.algorithm)])
                    o["ChecksumType"] = .string(c.type)
                }
                versions.append(o)
            }
        }
        var out: Value = [
            "Name": .string(bucketName), "Prefix": .string(encode(prefix)), "MaxKeys": .integer(Int64(maxKeys)),
            "IsTruncated": .bool(page.isTruncated), "KeyMarker": .string(encode(keyMarker ?? "")),
            "VersionIdMarker": .string(versionIdMarker ?? ""),
        ]
        if !versions.isEmpty { out["Versions"] = .list(versions) }
        if !markers.isEmpty { out["DeleteMarkers"] = .list(markers) }
        if !page.commonPrefixes.isEmpty { out["CommonPrefixes"] = .list(page.commonPrefixes.map { ["Prefix": .string(encode($0))] }) }
        if let delimiter { out["Delimiter"] = .string(encode(delimiter)) }
        if url { out["EncodingType"] = "url" }
        if let k = page.nextKeyMarker { out["NextKeyMarker"] = .string(encode(k)) }
        if let v = page.nextVersionIdMarker { out["NextVersionIdMarker"] = .string(v) }
        return out
    }
}
