import Synchronization
/// A resolved shape from a service model. Immutable once built; members refer to their
/// target shapes by name and the model resolves them (shapes can be recursive).
package final class Shape: Sendable {
    package enum Kind: String, Sendable {
        case structure, list, map, string, integer, long, float, double, boolean, timestamp, blob
        case bigdecimal, biginteger, byte, short, union
    }

    package let name: String
    package let kind: Kind
    /// Structure members in model order.
    package let members: [Member]
    package let memberIndex: [String: Int]
    package let required: Set<String>
    /// The member bound to the HTTP body for REST protocols.
    package let payload: String?
    /// List element / map key / map value references.
    package let member: Member?
    package let key: Member?
    package let value: Member?
    package let flattened: Bool
    package let enumValues: Set<String>?
    package let min: Double?
    package let max: Double?
    package let timestampFormat: String?
    package let locationName: String?
    package let xmlNamespace: XMLNamespace?
    package let isException: Bool
    package let errorCode: String?
    package let errorStatus: Int?
    package let senderFault: Bool
    package let streaming: Bool
    package let eventstream: Bool
    package let document: Bool
    package let sensitive: Bool
    package let sparse: Bool
    package let requiresLength: Bool
    /// awsQuery wire traits of a service that has since moved to JSON (SQS).
    package let query: QueryTraits?
    /// `wireName` lower-cased, for header members: the server keeps header names lower-case,
    /// and lower-casing ~40 S3 header names per request showed in profiles.
    package let headerKey: String
    /// The target shape, resolved on first use: codecs look targets up for every member of
    /// every request, and the model's shape table sits behind a lock.
    private let resolved = Atomic<Unmanaged<Shape>?>(nil)

    init(name: String, json: [String: Any]) {
        self.name = name
        let t = json["type"] as? String ?? "structure"
        kind = Kind(rawValue: t) ?? .string
        var members: [Member] = []
        var index: [String: Int] = [:]
        if let ms = json["members"] as? [String: Any] {
            // botocore JSON objects carry no order once decoded; sort for stable output.
            for (k, v) in ms.sorted(by: { $0.key < $1.key }) {
                index[k] = members.count
                members.append(Member(name: k, json: v as? [String: Any] ?? [:]))
            }
        }
        self.members = members
        memberIndex = index
        required = Set(json["required"] as? [String] ?? [])
        payload = json["payload"] as? String
        member = (json["member"] as? [String: Any]).map { Member(name: "member", json: $0) }
        key = (json["key"] as? [String: Any]).map { Member(name: "key", json: $0) }
        value = (json["value"] as? [String: Any]).map { Member(name: "value", json: $0) }
        flattened = json["flattened"] as? Bool ?? false
        enumValues = (json["enum"] as? [String]).map(Set.init)
        min = number(json["min"])
        max = number(json["max"])
        timestampFormat = json["timestampFormat"] as? String
        locationName = json["locationName"] as? String
        xmlNamespace = XMLNamespace(json["xmlNamespace"])
        isException = json["exception"] as? Bool ?? false
        let err = json["error"] as? [String: Any]
        errorCode = err?["code"] as? String
        errorStatus = number(err?["httpStatusCode"]).map { Int($0) }
        senderFault = err?["senderFault"] as? Bool ?? (json["fault"] as? Bool).map { !$0 } ?? true
        streaming = json["streaming"] as? Bool ?? false
        eventstream = json["eventstream"] as? Bool ?? false
        document = json["document"] as? Bool ?? false
        sensitive = json["sensitive"] as? Bool ?? false
        sparse = json["sparse"] as? Bool ?? false
        requiresLength = json["requiresLength"] as? Bool ?? false
        query = QueryTraits(json["q"])
        headerKey = (locationName ?? name).lowercased()
    }

    package func member(named name: String) -> Member? {
        memberIndex[name].map { members[$0] }
    }

    /// Position of a member in `members` (Int.max for a name the shape lacks).
    package func memberIndexOf(_ name: String) -> Int { memberIndex[name] ?? Int.max }

    package var isNumeric: Bool {
        switch kind {
        case .integer, .long, .float, .double, .byte, .short, .bigdecimal, .biginteger: return true
        default: return false
        }
    }
}

/// A reference to a shape with its wire facts (a structure member, list element, map key).
/// A class: codecs iterate members on every request, and copying a struct of this many
/// strings cost a retain/release each (6% of a small S3 request).
package final class Member: Sendable {
    package enum Location: String, Sendable {
        case body, header, headers, uri, querystring, statusCode
    }

    package let name: String
    package let target: String
    package let location: Location
    package let locationName: String?
    package let queryName: String?
    package let xmlAttribute: Bool
    package let xmlNamespace: XMLNamespace?
    package let flattened: Bool
    package let jsonValue: Bool
    package let timestampFormat: String?
    package let hostLabel: Bool
    package let idempotencyToken: Bool
    package let eventPayload: Bool
    package let resultWrapper: String?
    /// awsQuery wire traits of a service that has since moved to JSON (SQS).
    package let query: QueryTraits?
    /// `wireName` lower-cased, for header members: the server keeps header names lower-case,
    /// and lower-casing ~40 S3 header names per request showed in profiles.
    package let headerKey: String
    /// The target shape, resolved on first use: codecs look targets up for every member of
    /// every request, and the model's shape table sits behind a lock.
    private let resolved = Atomic<Unmanaged<Shape>?>(nil)

    init(name: String, json: [String: Any]) {
        self.name = name
        target = json["shape"] as? String ?? ""
        location = (json["location"] as? String).flatMap(Location.init(rawValue:)) ?? .body
        locationName = json["locationName"] as? String
        queryName = json["queryName"] as? String
        xmlAttribute = json["xmlAttribute"] as? Bool ?? false
        xmlNamespace = XMLNamespace(json["xmlNamespace"])
        flattened = json["flattened"] as? Bool ?? false
        jsonValue = json["jsonvalue"] as? Bool ?? false
        timestampFormat = json["timestampFormat"] as? String
        hostLabel = json["hostLabel"] as? Bool ?? false
        idempotencyToken = json["idempotencyToken"] as? Bool ?? false
        eventPayload = json["eventpayload"] as? Bool ?? false
        resultWrapper = json["resultWrapper"] as? String
        query = QueryTraits(json["q"])
        headerKey = (locationName ?? name).lowercased()
    }

    /// The target shape in `model` (the model this member belongs to), cached.
    package func targetShape(in model: ServiceModel) -> Shape? {
        if let u = resolved.load(ordering: .acquiring) { return u.takeUnretainedValue() }
        guard let shape = model.shape(target) else { return nil }
        let u = Unmanaged.passRetained(shape)  // held for the model's lifetime (the process)
        let (stored, existing) = resolved.compareExchange(expected: nil, desired: u, ordering: .acquiringAndReleasing)
        if !stored, let existing {
            u.release()
            return existing.takeUnretainedValue()
        }
        return shape
    }

    /// The name on the wire for body members: `locationName` when given, else the member name.
    package var wireName: String { locationName ?? name }
}

/// The awsQuery names and flattening an older model of the service had
/// (scripts/gen_models.py, LEGACY_QUERY).
package struct QueryTraits: Sendable {
    package let locationName: String?
    package let flattened: Bool?
    package let queryName: String?

    init?(_ any: Any?) {
        guard let d = any as? [String: Any] else { return nil }
        locationName = d["locationName"] as? String
        flattened = d["flattened"] as? Bool
        queryName = d["queryName"] as? String
    }
}

package struct XMLNamespace: Sendable {
    package let uri: String
    package let prefix: String?

    init?(_ any: Any?) {
        if let s = any as? String {
            uri = s
            prefix = nil
        } else if let d = any as? [String: Any], let u = d["uri"] as? String {
            uri = u
            prefix = d["prefix"] as? String
        } else {
            return nil
        }
    }
}

/// JSONSerialization hands numbers back as NSNumber; read them as Double whatever their kind.
func number(_ any: Any?) -> Double? {
    if let d = any as? Double { return d }
    if let i = any as? Int { return Double(i) }
    return nil
}
