import SimfraCore

/// A bucket: its identity, configuration and the sorted index of its keys. Lives inside the
/// service's lock; handlers copy out what they need.
final class Bucket {
    let name: String
    let owner: String
    let region: String
    /// As the client gave it (`EU`, `eu-west-1`); nil for us-east-1.
    let locationConstraint: String?
    let created: Double
    /// nil (never enabled), `Enabled` or `Suspended`.
    var versioning: String?
    /// Stored configurations keyed by kind (`Tagging`, `Policy`, `CORS`, `Lifecycle`,
    /// `Encryption`, `Notification`, `Ownership`, `PublicAccessBlock`, `ACL`), each the
    /// request's own `Value` so it comes back exactly as it went in.
    var config: [String: Value] {
        didSet {
            if oldValue["Notification"] != config["Notification"] { notifications = BucketNotifications(stored: config["Notification"]) }
        }
    }
    /// The parsed `Notification` configuration, nil when nothing is to be notified: the one
    /// check an object operation makes.
    private(set) var notifications: BucketNotifications?
    /// Key -> versions, newest first. A key without versioning has one entry.
    var objects = SortedIndex<[ObjectVersion]>()
    var nextSeq: UInt64 = 1

    init(name: String, owner: String, region: String, locationConstraint: String?, created: Double,
         versioning: String? = nil, config: [String: Value] = [:])
    {
        self.name = name
        self.owner = owner
        self.region = region
        self.locationConstraint = locationConstraint
        self.created = created
        self.versioning = versioning
        self.config = config
        self.notifications = BucketNotifications(stored: config["Notification"])
    }

    /// What an object operation copies out under the lock to notify after it committed.
    var notificationScope: NotificationScope? {
        guard let notifications else { return nil }
        return NotificationScope(config: notifications, bucket: name, owner: owner, region: region)
    }

    func takeSeq() -> UInt64 {
        defer { nextSeq += 1 }
        return nextSeq
    }

    /// The version a plain GET sees (may be a delete marker), or nil.
    func latest(_ key: String) -> ObjectVersion? { objects[key]?.first }

    func version(_ key: String, _ versionId: String) -> ObjectVersion? {
        objects[key]?.first { $0.versionId == versionId }
    }
}

/// An in-progress multipart upload. Parts are bodies in the blob store; the object's
/// metadata is fixed at creation (`template`).
struct Upload: Sendable {
    var uploadId: String
    var bucket: String
    var key: String
    var initiated: Double
    var owner: String
    /// Content headers, metadata, tags, storage class, encryption, ACL for the object.
    var template: ObjectVersion
    /// From CreateMultipartUpload's `x-amz-checksum-algorithm` / `x-amz-checksum-type`.
    var checksumAlgorithm: String?
    var checksumType: String?
    var parts: [Int: Part] = [:]
}

struct Part: Sendable, Equatable {
    var number: Int
    var size: Int64
    var etag: String
    var lastModified: Double
    var blobPath: String?
    /// Base64 checksum in the upload's algorithm, when it has one.
    var checksum: String?
    /// The part's plaintext CRC64NVME, for an encrypted upload without a checksum algorithm:
    /// its parts are concatenated without decrypting, so the object's default full-object
    /// checksum is combined from these.
    var crc64: String? = nil
}
