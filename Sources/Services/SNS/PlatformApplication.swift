import Foundation
import SimfraCore

/// A mobile push platform application (FCM/GCM, APNS, ADM, …) with its endpoints. Nothing is
/// pushed to a real platform: a publish to an endpoint is captured in the inbox as "push".
/// The platform credentials are kept sealed in the record and never answered back, as in AWS.
struct PlatformApplication: Sendable {
    var arn: String
    var accountId: String
    var region: String
    var name: String
    var platform: String
    /// Every attribute as set, credentials included.
    var attributes: [String: String]
    var endpoints: [String: PlatformEndpoint] = [:]

    var id: String { "\(platform)/\(name)" }

    /// What GetPlatformApplicationAttributes answers: never the credentials.
    var visibleAttributes: [String: String] {
        var a = attributes.filter { $0.key != "PlatformCredential" && $0.key != "PlatformPrincipal" }
        if a["Enabled"] == nil { a["Enabled"] = "true" }
        return a
    }

    static let platforms: Set<String> = [
        "ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU", "GCM", "MACOS", "MACOS_SANDBOX",
        "MPNS", "WNS",
    ]

    static let settableAttributes: Set<String> = [
        "PlatformCredential", "PlatformPrincipal", "EventEndpointCreated", "EventEndpointDeleted",
        "EventEndpointUpdated", "EventDeliveryFailure", "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn",
        "SuccessFeedbackSampleRate", "ApplePlatformTeamID", "ApplePlatformBundleID", "Enabled",
    ]

    static func checkAttributes(_ a: [String: String]) throws(AWSError) {
        for key in a.keys where !settableAttributes.contains(key) {
            throw SNSError.invalidParameter("Attributes Reason: Invalid attribute name: \(key)")
        }
        if a["PlatformPrincipal"] != nil, a["PlatformCredential"] == nil {
            throw SNSError.invalidParameter("Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
        }
    }

    static func checkName(_ name: String) throws(AWSError) {
        if name.isEmpty { throw SNSError.invalidParameter(" Reason: cannot be empty") }
        if name.utf8.count > 256 { throw SNSError.invalidParameter("\(name) Reason: must be at most 256 characters long") }
        guard name.unicodeScalars.allSatisfy({
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_-.".unicodeScalars.contains($0)
        }) else {
            throw SNSError.invalidParameter("@name Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
        }
    }
}

/// One device endpoint of a platform application.
struct PlatformEndpoint: Sendable {
    var arn: String
    var attributes: [String: String]

    var token: String { attributes["Token"] ?? "" }
    var enabled: Bool { attributes["Enabled"]?.lowercased() != "false" }

    static let settableAttributes: Set<String> = ["CustomUserData", "Enabled", "Token"]

    static func checkAttributes(_ a: [String: String]) throws(AWSError) {
        for key in a.keys.sorted() where !settableAttributes.contains(key) {
            throw SNSError.invalidParameter("Attributes Reason: Invalid attribute name: \(key)")
        }
        if let data = a["CustomUserData"], data.utf8.count > 2048 {
            throw SNSError.invalidParameter(
                "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding")
        }
    }
}

/// `{"v":1,"arn":…,"name":…,"platform":…,"attributes":{…},"credentials":"<sealed base64>","endpoints":[{"arn":…,"attributes":{…}}]}`
/// The credential attributes are sealed under the data dir's master key.
enum PlatformApplicationRecord {
    static let kind = "platformapp"

    static func encode(_ app: PlatformApplication, _ records: any DurableRecords) -> [UInt8] {
        let secret = app.attributes.filter { $0.key == "PlatformCredential" || $0.key == "PlatformPrincipal" }
        let secretJSON = (try? JSONSerialization.data(withJSONObject: secret, options: [.sortedKeys])) ?? Data()
        let doc: [String: Any] = [
            "v": 1, "arn": app.arn, "name": app.name, "platform": app.platform,
            "attributes": app.attributes.filter { $0.key != "PlatformCredential" && $0.key != "PlatformPrincipal" },
            "credentials": Base64.encode(records.seal(Array(secretJSON), aad: aad(app))),
            "endpoints": app.endpoints.values.sorted { $0.arn < $1.arn }.map { ["arn": $0.arn, "attributes": $0.attributes] },
        ]
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord, _ records: any DurableRecords) throws -> PlatformApplication {
        func fail(_ why: String) -> TopicRecord.DecodeError {
            TopicRecord.DecodeError(description: "SNS platform application record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any],
            let arn = doc["arn"] as? String, let name = doc["name"] as? String, let platform = doc["platform"] as? String
        else { throw fail("no ARN, name or platform") }
        var app = PlatformApplication(arn: arn, accountId: r.account, region: r.region, name: name, platform: platform,
                                      attributes: doc["attributes"] as? [String: String] ?? [:])
        if let b64 = doc["credentials"] as? String, let sealed = Data(base64Encoded: b64) {
            let plain = try records.unseal(Array(sealed), aad: aad(app))
            for (k, v) in (try? JSONSerialization.jsonObject(with: Data(plain))) as? [String: String] ?? [:] {
                app.attributes[k] = v
            }
        }
        for e in doc["endpoints"] as? [[String: Any]] ?? [] {
            guard let earn = e["arn"] as? String else { throw fail("an endpoint lacks its ARN") }
            app.endpoints[earn] = PlatformEndpoint(arn: earn, attributes: e["attributes"] as? [String: String] ?? [:])
        }
        return app
    }

    static func aad(_ app: PlatformApplication) -> String { "sns/\(kind)/\(app.accountId)/\(app.region)/\(app.id)/credentials" }
}
