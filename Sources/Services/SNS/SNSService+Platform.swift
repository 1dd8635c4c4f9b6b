import Foundation
import SimfraCore
import SimfraProtocols

/// Platform applications and endpoints (stored; pushes captured in the inbox as "push"),
/// and the account's SMS settings and opt-out list.
extension SNSService {
    func createPlatformApplication(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("Name") ?? "", platform = input.string("Platform") ?? ""
        let attributes = input.stringMap("Attributes") ?? [:]
        try PlatformApplication.checkName(name)
        guard PlatformApplication.platforms.contains(platform) else {
            throw SNSError.invalidParameter("Platform Reason: \(platform) is not supported")
        }
        try PlatformApplication.checkAttributes(attributes)
        if attributes["PlatformCredential"] != nil, attributes["PlatformPrincipal"] == nil, platform.hasPrefix("APNS") {
            throw SNSError.invalidParameter("Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
        }
        let arn = "arn:\(Self.partition(context)):sns:\(context.region):\(context.accountId):app/\(platform)/\(name)"
        apps.withLock { all in
            if var existing = all[arn] {
                // Creating it again updates its attributes, as AWS does.
                existing.attributes.merge(attributes) { _, new in new }
                all[arn] = existing
            } else {
                all[arn] = PlatformApplication(arn: arn, accountId: context.accountId, region: context.region, name: name,
                                               platform: platform, attributes: attributes)
            }
        }
        return ["PlatformApplicationArn": .string(arn)]
    }

    func app(_ arn: String) throws(AWSError) -> PlatformApplication {
        try SNSError.checkArn(arn, member: "PlatformApplicationArn")
        guard let app = apps.withLock({ $0[arn] }) else { throw Self.appNotFound }
        return app
    }

    static let appNotFound = AWSError(code: "NotFound", message: "PlatformApplication does not exist", status: 404)
    static let endpointNotFound = AWSError(code: "NotFound", message: "Endpoint does not exist", status: 404)

    func setPlatformApplicationAttributes(_ input: Value) throws(AWSError) -> Value {
        let arn = input.string("PlatformApplicationArn") ?? ""
        let attributes = input.stringMap("Attributes") ?? [:]
        try SNSError.checkArn(arn, member: "PlatformApplicationArn")
        try apps.withLock { (all: inout [String: PlatformApplication]) throws(AWSError) in
            guard var app = all[arn] else { throw Self.appNotFound }
            try PlatformApplication.checkAttributes(attributes)
            app.attributes.merge(attributes) { _, new in new }
            all[arn] = app
        }
        return .empty
    }

    func listPlatformApplications(_ input: Value, _ context: RequestContext) -> Value {
        let after = input.string("NextToken") ?? ""
        let all = apps.withLock { $0.values.filter { $0.accountId == context.accountId && $0.region == context.region } }
            .sorted { $0.arn < $1.arn }.filter { after.isEmpty || $0.arn > after }
        let page = all.prefix(100)
        var out: [String: Value] = ["PlatformApplications": .list(page.map {
            ["PlatformApplicationArn": .string($0.arn), "Attributes": .object($0.visibleAttributes.mapValues { .string($0) })]
        })]
        if all.count > 100, let last = page.last { out["NextToken"] = .string(last.arn) }
        return .object(out)
    }

    func createPlatformEndpoint(_ input: Value) throws(AWSError) -> Value {
        let appArn = input.string("PlatformApplicationArn") ?? "", token = input.string("Token") ?? ""
        var attributes = input.stringMap("Attributes") ?? [:]
        try PlatformEndpoint.checkAttributes(attributes)
        if let data = input.string("CustomUserData") {
            try PlatformEndpoint.checkAttributes(["CustomUserData": data])
            attributes["CustomUserData"] = data
        }
        attributes["Token"] = token
        if attributes["Enabled"] == nil { attributes["Enabled"] = "true" }
        try SNSError.checkArn(appArn, member: "PlatformApplicationArn")
        return try apps.withLock { (all: inout [String: PlatformApplication]) throws(AWSError) -> Value in
            guard var app = all[appArn] else { throw Self.appNotFound }
            // One endpoint per token: the same token and attributes answer it again.
            if let existing = app.endpoints.values.first(where: { $0.token == token }) {
                guard existing.attributes == attributes else {
                    throw SNSError.invalidParameter(
                        "Token Reason: Endpoint \(existing.arn) already exists with the same Token, but different attributes.")
                }
                return ["EndpointArn": .string(existing.arn)]
            }
            let prefix = appArn.replacingOccurrences(of: ":app/", with: ":endpoint/")
            let arn = prefix + "/" + UUID().uuidString.lowercased()
            app.endpoints[arn] = PlatformEndpoint(arn: arn, attributes: attributes)
            all[appArn] = app
            return ["EndpointArn": .string(arn)]
        }
    }

    /// `…:endpoint/<PLATFORM>/<app>/<id>` → `…:app/<PLATFORM>/<app>`.
    static func appArn(ofEndpoint arn: String) throws(AWSError) -> String {
        try SNSError.checkArn(arn, member: "EndpointArn")
        guard let r = arn.range(of: ":endpoint/") else {
            throw SNSError.invalidParameter("EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
        }
        let rest = arn[r.upperBound...].split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 3 else {
            throw SNSError.invalidParameter("EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
        }
        return arn[..<r.lowerBound] + ":app/\(rest[0])/\(rest[1])"
    }

    func endpoint(_ arn: String) throws(AWSError) -> PlatformEndpoint {
        let appArn = try Self.appArn(ofEndpoint: arn)
        guard let e = apps.withLock({ $0[appArn]?.endpoints[arn] }) else { throw Self.endpointNotFound }
        return e
    }

    func setEndpointAttributes(_ input: Value) throws(AWSError) -> Value {
        let arn = input.string("EndpointArn") ?? ""
        let attributes = input.stringMap("Attributes") ?? [:]
        let appArn = try Self.appArn(ofEndpoint: arn)
        try PlatformEndpoint.checkAttributes(attributes)
        try apps.withLock { (all: inout [String: PlatformApplication]) throws(AWSError) in
            guard var e = all[appArn]?.endpoints[arn] else { throw Self.endpointNotFound }
            e.attributes.merge(attributes) { _, new in new }
            all[appArn]?.endpoints[arn] = e
        }
        return .empty
    }

    func listEndpoints(_ input: Value) throws(AWSError) -> Value {
        let app = try app(input.string("PlatformApplicationArn") ?? "")
        let after = input.string("NextToken") ?? ""
        let all = app.endpoints.values.sorted { $0.arn < $1.arn }.filter { after.isEmpty || $0.arn > after }
        let page = all.prefix(100)
        var out: [String: Value] = ["Endpoints": .list(page.map {
            ["EndpointArn": .string($0.arn), "Attributes": .object($0.attributes.mapValues { .string($0) })]
        })]
        if all.count > 100, let last = page.last { out["NextToken"] = .string(last.arn) }
        return .object(out)
    }

    /// Publish with a TargetArn naming a platform endpoint: the push is captured in the inbox.
    func publishPush(_ targetArn: String, _ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let appArn: String
        do { appArn = try Self.appArn(ofEndpoint: targetArn) } catch {
            throw SNSError.invalidParameter("TargetArn Reason: No endpoint found for the target arn specified")
        }
        guard let app = apps.withLock({ $0[appArn] }), let endpoint = app.endpoints[targetArn] else {
            throw SNSError.invalidParameter("TargetArn Reason: No endpoint found for the target arn specified")
        }
        guard endpoint.enabled else { throw AWSError(code: "EndpointDisabled", message: "Endpoint is disabled", status: 400) }
        var message = input.string("Message") ?? ""
        if message.isEmpty { throw SNSError.invalidParameter("Empty message") }
        if input.string("MessageStructure") == "json" {
            guard let doc = try? JSONReader.parse(Array(message.utf8)), case .object = doc else {
                throw SNSError.invalidParameter("Message Structure - JSON message body failed to parse")
            }
            guard let text = (doc[app.platform] ?? doc["default"])?.stringValue, doc["default"] != nil else {
                throw SNSError.invalidParameter("Message Structure - No default entry in JSON message body")
            }
            message = text
        }
        let messageId = UUID().uuidString.lowercased()
        _ = inbox.add(InboxMessage(type: "push", source: "sns", accountId: app.accountId, region: app.region,
                                   from: app.arn, to: endpoint.token, subject: input.string("Subject"), body: message,
                                   links: ["endpoint": targetArn]))
        return ["MessageId": .string(messageId)]
    }

    // MARK: SMS settings

    static let smsAttributes: Set<String> = [
        "MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate", "DefaultSenderID",
        "DefaultSMSType", "UsageReportS3Bucket",
    ]

    func setSMSAttributes(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let attributes = input.stringMap("attributes") ?? [:]
        for key in attributes.keys.sorted() where !Self.smsAttributes.contains(key) {
            throw AWSError(code: "InvalidParameter", message: "\(key) is not a valid attribute", status: 400)
        }
        if let type = attributes["DefaultSMSType"], type != "Promotional", type != "Transactional" {
            throw AWSError(code: "InvalidParameter", message: "DefaultSMSType is invalid", status: 400)
        }
        if let id = attributes["DefaultSenderID"],
            id.count > 11 || !id.contains(where: \.isLetter) || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        {
            throw AWSError(code: "InvalidParameter", message: "DefaultSendID is not a valid attribute", status: 400)
        }
        sms.withLock { all in
            all["\(context.accountId)/\(context.region)", default: [:]].merge(attributes) { _, new in new }
        }
        return .empty
    }

    func getSMSAttributes(_ input: Value, _ context: RequestContext) -> Value {
        var current = sms.withLock { $0["\(context.accountId)/\(context.region)"] } ?? [:]
        // AWS's default spend limit, shown even where nothing was set.
        if current["MonthlySpendLimit"] == nil { current["MonthlySpendLimit"] = "1" }
        if let names = input.stringList("attributes"), !names.isEmpty {
            current = current.filter { names.contains($0.key) }
        }
        return ["attributes": .object(current.mapValues { .string($0) })]
    }

    func checkOptOutNumber(_ input: Value) throws(AWSError) -> String {
        let phone = input.string("phoneNumber") ?? ""
        guard Self.isPhoneNumber(phone) else {
            throw SNSError.invalidParameter("PhoneNumber Reason: input incorrectly formatted")
        }
        return phone
    }
}
