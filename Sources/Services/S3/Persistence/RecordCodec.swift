import SimfraCore

/// A compact binary encoding for S3's durable records (bucket, object version, upload, part):
/// varints, length-prefixed UTF-8, and `Value` trees for stored configurations. Each record
/// starts with a format byte so later versions can migrate.
struct RecordWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func int(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func double(_ v: Double) {
        let b = v.bitPattern
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))) }
    }

    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            varint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    mutating func data(_ b: [UInt8]) {
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func optString(_ s: String?) {
        if let s {
            u8(1)
            string(s)
        } else {
            u8(0)
        }
    }

    mutating func stringMap(_ m: [String: String]) {
        varint(UInt64(m.count))
        for (k, v) in m.sorted(by: { KeyBytes.compare($0.key, $1.key) < 0 }) {
            string(k)
            string(v)
        }
    }

    mutating func value(_ v: Value) {
        switch v {
        case .null: u8(0)
        case .bool(let b): u8(1); bool(b)
        case .integer(let i): u8(2); int(i)
        case .double(let d): u8(3); double(d)
        case .string(let s): u8(4); string(s)
        case .blob(let b): u8(5); varint(UInt64(b.count)); bytes.append(contentsOf: b)
        case .timestamp(let t): u8(6); double(t)
        case .list(let l):
            u8(7)
            varint(UInt64(l.count))
            for e in l { value(e) }
        case .object(let o):
            u8(8)
            varint(UInt64(o.count))
            for (k, e) in o.sorted(by: { $0.key < $1.key }) {
                string(k)
                value(e)
            }
        }
    }
}

struct RecordReader {
    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    private let bytes: [UInt8]
    private var pos = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { pos >= bytes.count }

    mutating func u8() throws(Corrupt) -> UInt8 {
        guard pos < bytes.count else { throw Corrupt(description: "truncated S3 record") }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func varint() throws(Corrupt) -> UInt64 {
        var shift: UInt64 = 0
        var v: UInt64 = 0
        while true {
            let b = try u8()
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
            if shift > 63 { throw Corrupt(description: "bad varint in S3 record") }
        }
    }

    mutating func int() throws(Corrupt) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    mutating func double() throws(Corrupt) -> Double {
        var b: UInt64 = 0
        for i in 0..<8 { b |= UInt64(try u8()) << (8 * UInt64(i)) }
        return Double(bitPattern: b)
    }

    mutating func bool() throws(Corrupt) -> Bool { try u8() != 0 }

    mutating func string() throws(Corrupt) -> String {
        let n = Int(try varint())
        guard n >= 0, pos + n <= bytes.count else { throw Corrupt(description: "truncated string in S3 record") }
        defer { pos += n }
        return String(decoding: bytes[pos..<(pos + n)], as: UTF8.self)
    }

    mutating func data() throws(Corrupt) -> [UInt8] {
        let n = Int(try varint())
        guard n >= 0, pos + n <= bytes.count else { throw Corrupt(description: "truncated bytes in S3 record") }
        defer { pos += n }
        return Array(bytes[pos..<(pos + n)])
    }

    mutating func optString() throws(Corrupt) -> String? {
        try u8() == 0 ? nil : try string()
    }

    mutating func stringMap() throws(Corrupt) -> [String: String] {
        let n = Int(try varint())
        var m: [String: String] = [:]
        m.reserveCapacity(n)
        for _ in 0..<n {
            let k = try string()
            m[k] = try string()
        }
        return m
    }

    mutating func value(depth: Int = 0) throws(Corrupt) -> Value {
        guard depth < 64 else { throw Corrupt(description: "S3 record nested too deeply") }
        switch try u8() {
        case 0: return .null
        case 1: return .bool(try bool())
        case 2: return .integer(try int())
        case 3: return .double(try double())
        case 4: return .string(try string())
        case 5:
            let n = Int(try varint())
            guard pos + n <= bytes.count else { throw Corrupt(description: "truncated blob in S3 record") }
            defer { pos += n }
            return .blob(Array(bytes[pos..<(pos + n)]))
        case 6: return .timestamp(try double())
        case 7:
            let n = Int(try varint())
            var l: [Value] = []
            for _ in 0..<n { l.append(try value(depth: depth + 1)) }
            return .list(l)
        case 8:
            let n = Int(try varint())
            var o: [String: Value] = [:]
            for _ in 0..<n {
                let k = try string()
                o[k] = try value(depth: depth + 1)
            }
            return .object(o)
        default:
            throw Corrupt(description: "unknown value tag in S3 record")
        }
    }
}

/// Encodings of the S3 record kinds.
enum S3Records {
    static let bucketKind = "bucket"
    static let objectKind = "object"
    static let uploadKind = "upload"
    static let partKind = "part"
    private static let format: UInt8 = 1

    // MARK: ids

    /// Record id of one object version: unique per (bucket, key bytes, version).
    static func objectID(bucket: String, key: String, versionId: String) -> String {
        "\(bucket)/\(Hex.encode(Array(key.utf8)))/\(versionId)"
    }

    static func uploadID(bucket: String, uploadId: String) -> String { "\(bucket)/\(uploadId)" }

    static func partID(bucket: String, uploadId: String, part: Int) -> String {
        let n = String(part)
        return "\(bucket)/\(uploadId)/" + String(repeating: "0", count: max(0, 5 - n.count)) + n
    }

    // MARK: bucket

    static func encode(_ b: Bucket) -> [UInt8] {
        var w = RecordWriter()
        w.u8(format)
        w.string(b.name)
        w.string(b.owner)
        w.string(b.region)
        w.optString(b.locationConstraint)
        w.double(b.created)
        w.optString(b.versioning)
        w.value(.object(b.config))
        return w.bytes
    }

    static func decodeBucket(_ bytes: [UInt8]) throws(RecordReader.Corrupt) -> Bucket {
        var r = RecordReader(bytes)
        guard try r.u8() == format else { throw .init(description: "unknown S3 bucket record format") }
        let name = try r.string()
        let owner = try r.string()
        let region = try r.string()
        let constraint = try r.optString()
        let created = try r.double()
        let versioning = try r.optString()
        let config = try r.value().objectValue ?? [:]
        return Bucket(name: name, owner: owner, region: region, locationConstraint: constraint, created: created,
                      versioning: versioning, config: config)
    }

    // MARK: object version

    static func encode(_ o: ObjectVersion) -> [UInt8] {
        var w = RecordWriter(capacity: 192 + o.key.utf8.count)
        w.u8(format)
        write(o, into: &w)
        return w.bytes
    }

    private static func write(_ o: ObjectVersion, into w: inout RecordWriter) {
        w.string(o.key)
        w.string(o.versionId)
        w.varint(o.seq)
        w.bool(o.isDeleteMarker)
        w.double(o.lastModified)
        w.int(o.size)
        w.string(o.etag)
        w.optString(o.blobPath)
        let h = o.headers
        for s in [h.contentType, h.contentEncoding, h.contentDisposition, h.contentLanguage, h.cacheControl, h.expires, h.websiteRedirect] {
            w.optString(s)
        }
        w.stringMap(o.metadata)
        w.string(o.storageClass)
        w.varint(UInt64(o.tags.count))
        for t in o.tags {
            w.string(t.key)
            w.string(t.value)
        }
        if let c = o.checksum {
            w.u8(1)
            w.string(c.algorithm)
            w.string(c.value)
            w.string(c.type)
        } else {
            w.u8(0)
        }
        w.varint(UInt64(o.partSizes.count))
        for s in o.partSizes { w.int(s) }
        w.varint(UInt64(o.partChecksums.count))
        for s in o.partChecksums { w.string(s) }
        if let e = o.encryption {
            w.u8(1)
            w.string(e.algorithm)
            w.optString(e.kmsKeyId)
            w.u8(e.bucketKeyEnabled.map { $0 ? 2 : 1 } ?? 0)
            w.optString(e.context)
        } else {
            w.u8(0)
        }
        w.string(o.acl)
        w.string(o.owner)
        // Encryption at rest (added later: older records end before it and read as plaintext).
        w.u8((o.dataKey != nil ? 1 : 0) | (o.customerKey != nil ? 2 : 0))
        if let k = o.dataKey { w.data(k) }
        if let c = o.customerKey {
            w.string(c.keyMD5)
            w.data(c.salt)
            w.data(c.digest)
        }
    }

    static func decodeObject(_ bytes: [UInt8]) throws(RecordReader.Corrupt) -> ObjectVersion {
        var r = RecordReader(bytes)
        guard try r.u8() == format else { throw .init(description: "unknown S3 object record format") }
        return try read(&r)
    }

    private static func read(_ r: inout RecordReader) throws(RecordReader.Corrupt) -> ObjectVersion {
        let key = try r.string()
        let versionId = try r.string()
        let seq = try r.varint()
        let marker = try r.bool()
        let lastModified = try r.double()
        let size = try r.int()
        let etag = try r.string()
        let blobPath = try r.optString()
        let h = ContentHeaders(
            contentType: try r.optString(), contentEncoding: try r.optString(), contentDisposition: try r.optString(),
            contentLanguage: try r.optString(), cacheControl: try r.optString(), expires: try r.optString(),
            websiteRedirect: try r.optString())
        let metadata = try r.stringMap()
        let storageClass = try r.string()
        var tags: [Tag] = []
        for _ in 0..<(try r.varint()) { tags.append(Tag(key: try r.string(), value: try r.string())) }
        var checksum: StoredChecksum?
        if try r.u8() == 1 { checksum = StoredChecksum(algorithm: try r.string(), value: try r.string(), type: try r.string()) }
        var partSizes: [Int64] = []
        for _ in 0..<(try r.varint()) { partSizes.append(try r.int()) }
        var partChecksums: [String] = []
        for _ in 0..<(try r.varint()) { partChecksums.append(try r.string()) }
        var encryption: Encryption?
        if try r.u8() == 1 {
            let alg = try r.string()
            let kms = try r.optString()
            let bk = try r.u8()
            encryption = Encryption(algorithm: alg, kmsKeyId: kms, bucketKeyEnabled: bk == 0 ? nil : bk == 2,
                                    context: try r.optString())
        }
        let acl = try r.string()
        let owner = try r.string()
        var dataKey: [UInt8]?
        var customerKey: CustomerKeyCheck?
        if !r.atEnd {
            let flags = try r.u8()
            if flags & 1 != 0 { dataKey = try r.data() }
            if flags & 2 != 0 { customerKey = CustomerKeyCheck(keyMD5: try r.string(), salt: try r.data(), digest: try r.data()) }
        }
        return ObjectVersion(
            key: key, versionId: versionId, seq: seq, isDeleteMarker: marker, lastModified: lastModified, size: size,
            etag: etag, blobPath: blobPath, headers: h, metadata: metadata, storageClass: storageClass, tags: tags,
            checksum: checksum, partSizes: partSizes, partChecksums: partChecksums, encryption: encryption, acl: acl,
            owner: owner, dataKey: dataKey, customerKey: customerKey)
    }

    // MARK: upload (without parts: each part is its own record)

    static func encode(_ u: Upload) -> [UInt8] {
        var w = RecordWriter()
        w.u8(format)
        w.string(u.uploadId)
        w.string(u.bucket)
        w.string(u.key)
        w.double(u.initiated)
        w.string(u.owner)
        w.optString(u.checksumAlgorithm)
        w.optString(u.checksumType)
        write(u.template, into: &w)
        return w.bytes
    }

    static func decodeUpload(_ bytes: [UInt8]) throws(RecordReader.Corrupt) -> Upload {
        var r = RecordReader(bytes)
        guard try r.u8() == format else { throw .init(description: "unknown S3 upload record format") }
        let id = try r.string()
        let bucket = try r.string()
        let key = try r.string()
        let initiated = try r.double()
        let owner = try r.string()
        let alg = try r.optString()
        let type = try r.optString()
        let template = try read(&r)
        return Upload(uploadId: id, bucket: bucket, key: key, initiated: initiated, owner: owner, template: template,
                      checksumAlgorithm: alg, checksumType: type)
    }

    static func encode(_ p: Part, uploadId: String) -> [UInt8] {
        var w = RecordWriter()
        w.u8(format)
        w.string(uploadId)
        w.varint(UInt64(p.number))
        w.int(p.size)
        w.string(p.etag)
        w.double(p.lastModified)
        w.optString(p.blobPath)
        w.optString(p.checksum)
        w.optString(p.crc64)
        return w.bytes
    }

    static func decodePart(_ bytes: [UInt8]) throws(RecordReader.Corrupt) -> (uploadId: String, part: Part) {
        var r = RecordReader(bytes)
        guard try r.u8() == format else { throw .init(description: "unknown S3 part record format") }
        let id = try r.string()
        let n = Int(try r.varint())
        var part = Part(number: n, size: try r.int(), etag: try r.string(), lastModified: try r.double(),
                        blobPath: try r.optString(), checksum: try r.optString())
        if !r.atEnd { part.crc64 = try r.optString() }
        return (id, part)
    }
}
