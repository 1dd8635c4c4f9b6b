import Foundation
import SimfraCore

/// One S3 event about one object, with everything its notification record (SQS, SNS) and
/// its EventBridge event need. Built after the request committed; rendered per destination.
struct NotificationEvent: Sendable, Equatable {
    /// Without the `s3:` prefix: `ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`…
    var name: String
    var bucket: String
    var bucketOwner: String
    var region: String
    var key: String
    var size: Int64?
    /// Unquoted.
    var etag: String?
    var versionId: String?
    var sequencer: String?
    /// Seconds since the epoch.
    var time: Double
    var requestId: String
    /// `userIdentity.principalId` of the record.
    var principalId: String
    /// The requester's account (EventBridge's `requester`).
    var requester: String
    var sourceIP: String

    var bucketArn: String { "arn:aws:s3:::\(bucket)" }

    /// S3's `x-amz-id-2` for the request: the same token the response header carried (the
    /// dispatcher derives it from the request id).
    var hostId: String { Base64.encode(requestId + requestId) }

    /// Tagging and ACL records are version 2.3 (recorded); the others 2.1.
    var eventVersion: String { name.hasPrefix("ObjectTagging:") || name.hasPrefix("ObjectAcl:") ? "2.3" : "2.1" }

    /// The SQS/SNS message: `{"Records":[…]}` with AWS's member order.
    func message(configurationId: String) -> String {
        let q = JSONText.quoted
        let object = JSONObject.text([
            ("key", q(Self.encodeKey(key))), ("size", size.map { String($0) }), ("eTag", etag.map(q)),
            ("versionId", versionId.map(q)), ("sequencer", sequencer.map(q)),
        ])
        let bucketJSON = JSONObject.text([
            ("name", q(bucket)),
            ("ownerIdentity", JSONObject.text([("principalId", q(S3Notifier.customerId(bucketOwner)))])),
            ("arn", q(bucketArn)),
        ])
        let record = JSONObject.text([
            ("eventVersion", q(eventVersion)), ("eventSource", q("aws:s3")), ("awsRegion", q(region)),
            ("eventTime", q(Self.timestamp(time))), ("eventName", q(name)),
            ("userIdentity", JSONObject.text([("principalId", q(principalId))])),
            ("requestParameters", JSONObject.text([("sourceIPAddress", q(sourceIP))])),
            ("responseElements", JSONObject.text([("x-amz-request-id", q(requestId)), ("x-amz-id-2", q(hostId))])),
            ("s3", JSONObject.text([
                ("s3SchemaVersion", q("1.0")), ("configurationId", q(configurationId)), ("bucket", bucketJSON), ("object", object),
            ])),
        ])
        return #"{"Records":["# + record + "]}"
    }

    /// EventBridge's detail-type and, for object events, the `reason` and `deletion-type`.
    var eventBridgeType: (detailType: String, reason: String?, deletionType: String?)? {
        switch name {
        case "ObjectCreated:Put": ("Object Created", "PutObject", nil)
        case "ObjectCreated:Post": ("Object Created", "POST Object", nil)
        case "ObjectCreated:Copy": ("Object Created", "CopyObject", nil)
        case "ObjectCreated:CompleteMultipartUpload": ("Object Created", "CompleteMultipartUpload", nil)
        case "ObjectRemoved:Delete": ("Object Deleted", "DeleteObject", "Permanently Deleted")
        case "ObjectRemoved:DeleteMarkerCreated": ("Object Deleted", "DeleteObject", "Delete Marker Created")
        case "LifecycleExpiration:Delete": ("Object Deleted", "Lifecycle Expiration", "Permanently Deleted")
        case "LifecycleExpiration:DeleteMarkerCreated": ("Object Deleted", "Lifecycle Expiration", "Delete Marker Created")
        case "ObjectTagging:Put": ("Object Tags Added", nil, nil)
        case "ObjectTagging:Delete": ("Object Tags Deleted", nil, nil)
        case "ObjectAcl:Put": ("Object ACL Updated", nil, nil)
        default: nil
        }
    }

    /// EventBridge's `detail` (AWS's member order; the key as it is, not URL-encoded).
    func eventBridgeDetail() -> String? {
        guard let type = eventBridgeType else { return nil }
        let q = JSONText.quoted
        let object = JSONObject.text([
            ("key", q(key)), ("size", size.map { String($0) }), ("etag", etag.map(q)), ("version-id", versionId.map(q)),
            ("sequencer", sequencer.map(q)),
        ])
        return JSONObject.text([
            ("version", q("0")), ("bucket", JSONObject.text([("name", q(bucket))])), ("object", object),
            ("request-id", q(requestId)), ("requester", q(requester)), ("source-ip-address", q(sourceIP)),
            ("reason", type.reason.map(q)), ("deletion-type", type.deletionType.map(q)),
        ])
    }

    /// The message S3 sends to each SQS/SNS destination when a configuration is saved.
    static func testEvent(bucket: String, time: Double, requestId: String) -> String {
        let q = JSONText.quoted
        return JSONObject.text([
            ("Service", q("Amazon S3")), ("Event", q("s3:TestEvent")), ("Time", q(timestamp(time))), ("Bucket", q(bucket)),
            ("RequestId", q(requestId)), ("HostId", q(Base64.encode(requestId + requestId))),
        ])
    }

    /// ISO 8601 with milliseconds, UTC (`2024-05-01T12:00:00.123Z`).
    static func timestamp(_ t: Double) -> String {
        timestampStyle.format(Date(timeIntervalSince1970: t))
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// Keys in records are form-encoded as S3 writes them: letters, digits, `-_.*` and `/`
    /// as they are, a space as `+`, every other byte `%XX` (recorded: `a@b` → `a%40b`).
    static func encodeKey(_ key: String) -> String {
        var out = ""
        out.reserveCapacity(key.utf8.count)
        for b in key.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// JSON objects written member by member, in the order AWS writes them.
enum JSONObject {
    /// Members whose values are JSON text already; nil values are left out.
    static func text(_ members: [(String, String?)]) -> String {
        var out = "{"
        for (name, value) in members {
            guard let value else { continue }
            if out.count > 1 { out += "," }
            out += JSONText.quoted(name) + ":" + value
        }
        return out + "}"
    }
}
