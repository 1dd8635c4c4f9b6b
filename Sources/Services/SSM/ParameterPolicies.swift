import Foundation
import SimfraCore

/// Parameter policies (advanced tier): `Expiration`, `ExpirationNotification` and
/// `NoChangeNotification`, validated as Parameter Store validates them and stored with the
/// version. Simfra records them; it does not delete expired parameters or send the
/// EventBridge notifications.
enum ParameterPolicies {
    static let maxPolicies = 10

    /// Parses the `Policies` JSON array: one policy per type, known types, their attributes.
    static func parse(_ text: String) throws(AWSError) -> [ParameterPolicy] {
        guard let data = text.data(using: .utf8),
            let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else {
            throw SSMError.policyAttribute("Invalid policy document. The policies must be a JSON array of policy objects.")
        }
        if array.count > maxPolicies { throw SSMError.tooManyPolicies }
        var out: [ParameterPolicy] = []
        var seen: Set<String> = []
        for item in array {
            guard let obj = item as? [String: Any], let type = obj["Type"] as? String else {
                throw SSMError.policyAttribute("Invalid policy document. Each policy must name its Type.")
            }
            guard ["Expiration", "ExpirationNotification", "NoChangeNotification"].contains(type) else {
                throw SSMError.policyType(type)
            }
            if let v = obj["Version"], (v as? String) != "1.0" {
                throw SSMError.policyAttribute("Invalid policy version for \(type). The supported version is 1.0.")
            }
            guard seen.insert(type).inserted else { throw SSMError.incompatiblePolicy(type) }
            let attrs = obj["Attributes"] as? [String: Any] ?? [:]
            try validate(type, attrs)
            // The stored text is the policy object re-serialised compactly, as DescribeParameters echoes it.
            let json = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            out.append(ParameterPolicy(type: type, text: json))
        }
        return out
    }

    private static func validate(_ type: String, _ attrs: [String: Any]) throws(AWSError) {
        switch type {
        case "Expiration":
            guard let ts = attrs["Timestamp"] as? String, parseTimestamp(ts) != nil else {
                throw SSMError.policyAttribute(
                    "Invalid Timestamp attribute for Expiration policy. The Timestamp must be in ISO 8601 format, for example 2020-05-13T00:00:00.000Z.")
            }
        case "ExpirationNotification":
            try amount(attrs, "Before", type)
        default:
            try amount(attrs, "After", type)
        }
    }

    private static func amount(_ attrs: [String: Any], _ key: String, _ type: String) throws(AWSError) {
        guard let s = attrs[key] as? String, let n = Int(s), n > 0 else {
            throw SSMError.policyAttribute("Invalid \(key) attribute for \(type) policy. \(key) must be a positive integer.")
        }
        guard let unit = attrs["Unit"] as? String, unit == "Days" || unit == "Hours" else {
            throw SSMError.policyAttribute("Invalid Unit attribute for \(type) policy. Valid units: Days, Hours.")
        }
    }

    /// When an `Expiration` policy among these deletes the parameter.
    static func expiration(_ policies: [ParameterPolicy]) -> Double? {
        for p in policies where p.type == "Expiration" {
            guard let data = p.text.data(using: .utf8),
                let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let ts = (obj["Attributes"] as? [String: Any])?["Timestamp"] as? String,
                let date = parseTimestamp(ts)
            else { continue }
            return date.timeIntervalSince1970
        }
        return nil
    }

    /// ISO 8601 with or without fractional seconds and zone.
    static func parseTimestamp(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        return f.date(from: s)
    }
}
