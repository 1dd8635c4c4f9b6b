import SimfraCore

/// One tag of an object or bucket.
struct Tag: Sendable, Equatable {
    var key: String
    var value: String
}

/// A flexible checksum stored with an object or part: the algorithm (`CRC32`, `CRC32C`,
/// `CRC64NVME`, `SHA1`, `SHA256`), its base64 value (`…-N` for a composite multipart
/// checksum) and its type (`FULL_OBJECT` or `COMPOSITE`).
struct StoredChecksum: Sendable, Equatable {
    var algorithm: String
    var value: String
    var type: String

    /// The output member carrying this checksum (`ChecksumCRC32`…).
    var member: String { "Checksum" + algorithm }
}

/// Server-side encryption attributes echoed back to clients.
struct Encryption: Sendable, Equatable {
    var algorithm: String  // AES256 | aws:kms | aws:kms:dsse
    var kmsKeyId: String?
    var bucketKeyEnabled: Bool?
    var context: String?
}

/// What an SSE-C object keeps of its customer's key: never the key, only a salted HMAC to
/// recognise it again, and the key's MD5 as the client sent it (echoed in responses, as S3 does).
struct CustomerKeyCheck: Sendable, Equatable {
    var keyMD5: String
    var salt: [UInt8]
    var digest: [UInt8]
}

/// The content headers S3 stores with an object and returns on GET/HEAD.
struct ContentHeaders: Sendable, Equatable {
    var contentType: String?
    var contentEncoding: String?
    var contentDisposition: String?
    var contentLanguage: String?
    var cacheControl: String?
    var expires: String?
    var websiteRedirect: String?
}

/// One version of one object (or a delete marker): everything but the body, which lives in
/// the blob store at `blobPath` (nil for delete markers and empty bodies), or, for small
/// bodies in memory-only mode, in `inlineBody`.
struct ObjectVersion: Sendable, Equatable {
    var key: String
    /// `null` for objects written while versioning was never enabled or suspended.
    var versionId: String
    /// Bucket-wide write order, so versions of a key sort newest first after a restart.
    var seq: UInt64
    var isDeleteMarker: Bool
    var lastModified: Double
    var size: Int64
    /// Quoted, as the ETag header carries it.
    var etag: String
    var blobPath: String?
    var headers: ContentHeaders
    var metadata: [String: String]
    var storageClass: String
    var tags: [Tag]
    var checksum: StoredChecksum?
    /// Sizes of the parts of a multipart object (GetObject ?partNumber, GetObjectAttributes).
    var partSizes: [Int64]
    /// Checksums of those parts (same algorithm as `checksum`), when the upload had one.
    var partChecksums: [String]
    var encryption: Encryption?
    /// Canned ACL (`private` unless set).
    var acl: String
    var owner: String
    /// The whole body, for bodies up to `S3Service.inlineBodyLimit` without a data dir:
    /// creating and unlinking a file per small object cost more than the request around it
    /// (ext4's inode allocator slows down under that churn). Never persisted.
    var inlineBody: [UInt8]? = nil
    /// The body's data key, wrapped: under the bucket owner's SSE-S3 key, under the
    /// customer's key (SSE-C), or KMS's ciphertext blob (SSE-KMS). A body file is encrypted
    /// (`BodyCipher`) exactly when this is set; nil for bodies written before encryption at
    /// rest, which are read as they are.
    var dataKey: [UInt8]? = nil
    /// Set for SSE-C objects: GET, HEAD and copy must present the same key.
    var customerKey: CustomerKeyCheck? = nil

    static func deleteMarker(key: String, versionId: String, seq: UInt64, now: Double, owner: String) -> ObjectVersion {
        ObjectVersion(
            key: key, versionId: versionId, seq: seq, isDeleteMarker: true, lastModified: now, size: 0, etag: "",
            blobPath: nil, headers: ContentHeaders(), metadata: [:], storageClass: "STANDARD", tags: [], checksum: nil,
            partSizes: [], partChecksums: [], encryption: nil, acl: "private", owner: owner)
    }

    var isMultipart: Bool { !partSizes.isEmpty }
}
