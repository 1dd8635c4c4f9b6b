import SimfraCore
import SimfraPersistence
import SimfraProtocols
import SimfraSNS

/// `/_simfra/*`: health, introspection and the accounts API, answered before anything AWS.
/// Bodies and errors are JSON (`{"error": "…"}`). With `SIMFRA_ADMIN_TOKEN` set, every route
/// but health requires `Authorization: Bearer <token>`.
struct AdminRoutes: Sendable {
    let dispatcher: Dispatcher
    let store: PersistenceStore?
    /// What services captured instead of sending (`/_simfra/inbox`).
    let inbox: Inbox
    var persistenceEnabled: Bool { store != nil }
    var accounts: AccountRegistry { dispatcher.accounts }

    /// DynamoDB's endpoints answer an unsigned `GET /` with `healthy: dynamodb.<region>.amazonaws.com`,
    /// which load balancers and readiness probes of DynamoDB-only setups poll. Only for a
    /// DynamoDB host: `GET /` elsewhere is S3's ListBuckets (or, unsigned, S3's error).
    static func dynamoDBHealth(_ r: AWSRequest, defaultRegion: String) -> AWSResponse? {
        guard r.method == "GET", r.rawPath == "/", r.rawQuery.isEmpty, r.header("authorization") == nil,
              let host = r.header("host")?.lowercased(), host.hasPrefix("dynamodb.")
        else { return nil }
        let labels = host.split(separator: ":")[0].split(separator: ".")
        let region = labels.count > 2 && Config.isRegionName(String(labels[1])) ? String(labels[1]) : defaultRegion
        return AWSResponse(status: 200, headers: [("Content-Type", "text/plain")],
                           body: Array("healthy: dynamodb.\(region).amazonaws.com".utf8))
    }

    func handle(_ r: AWSRequest) async -> AWSResponse {
        let path = r.rawPath
        if path == "/_simfra/health" {
            guard r.method == "GET" || r.method == "HEAD" else { return methodNotAllowed(r, allow: "GET, HEAD") }
            guard dispatcher.ready.load(ordering: .acquiring) else {
                return json(503, "{\"status\":\"starting\"}")
            }
            return json(200, "{\"status\":\"healthy\",\"services\":\(dispatcher.registry.implementedCount),"
                + "\"dockerEnabled\":false,\"persistenceEnabled\":\(persistenceEnabled)}")
        }
        // SNS's signing certificates are public, as AWS's are: subscribers fetch them unsigned.
        if path.hasPrefix("/_simfra/sns/"), r.method == "GET" {
            let name = String(path.dropFirst("/_simfra/sns/".count))
            guard let sns = dispatcher.registry.entries["sns"]?.handler as? SNSService,
                let pem = sns.certificatePEM(fileName: name)
            else { return error(404, "No certificate \(name)") }
            return AWSResponse(status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Array(pem.utf8))
        }
        if let token = dispatcher.config.adminToken, !Self.authorized(r, token: token) {
            var response = error(401, "This route requires Authorization: Bearer <SIMFRA_ADMIN_TOKEN>")
            response.headers.append(("WWW-Authenticate", "Bearer realm=\"simfra\""))
            return response
        }
        switch path {
        case "/_simfra/services":
            guard r.method == "GET" else { return methodNotAllowed(r, allow: "GET") }
            return json(200, r.queryItems.contains { $0.0 == "names" } ? serviceNamesJSON() : servicesJSON())
        case "/_simfra/storage/summary":
            guard r.method == "GET" else { return methodNotAllowed(r, allow: "GET") }
            let summary = store?.summary() ?? .disabled
            return AWSResponse(status: 200, headers: [("Content-Type", "application/json")], body: summary.jsonBytes())
        case "/_simfra/accounts", "/_simfra/accounts/":
            guard dispatcher.ready.load(ordering: .acquiring) else { return error(503, "Simfra is starting; accounts are still loading") }
            switch r.method {
            case "GET": return listAccounts()
            case "POST": return await createAccount(r)
            default: return methodNotAllowed(r, allow: "GET, POST")
            }
        default:
            if path == "/_simfra/inbox" || path.hasPrefix("/_simfra/inbox/") { return inboxRoute(r) }
            if path.hasPrefix("/_simfra/accounts/") {
                guard dispatcher.ready.load(ordering: .acquiring) else { return error(503, "Simfra is starting; accounts are still loading") }
                return await accountRoute(r, path.dropFirst("/_simfra/accounts/".count).split(separator: "/", omittingEmptySubsequences: false))
            }
            return error(404, "No admin route \(r.method) \(path)")
        }
    }

    /// `/_simfra/accounts/{id}` and `/_simfra/accounts/{id}/reset`.
    private func accountRoute(_ r: AWSRequest, _ segments: [Substring]) async -> AWSResponse {
        let id = String(segments[0])
        switch segments.count {
        case 1:
            switch r.method {
            case "GET":
                do {
                    return json(200, accountJSON(try accounts.account(id), withSecret: true))
                } catch {
                    return failure(error)
                }
            case "DELETE": return await deleteAccount(id)
            default: return methodNotAllowed(r, allow: "GET, DELETE")
            }
        case 2 where segments[1] == "reset":
            guard r.method == "POST" else { return methodNotAllowed(r, allow: "POST") }
            return await resetAccount(id)
        default:
            return error(404, "No admin route \(r.method) \(r.rawPath)")
        }
    }

    // MARK: Accounts

    private func listAccounts() -> AWSResponse {
        let list = accounts.list()
        var w = ByteWriter(capacity: 64 + 120 * list.count)
        w.append("{\"accounts\":[")
        for (i, a) in list.enumerated() {
            if i > 0 { w.append(",") }
            // Secrets stay out of the list: GET /_simfra/accounts/{id} shows one account's keys.
            w.append(accountJSON(a, withSecret: false))
        }
        w.append("]}")
        return AWSResponse(status: 200, headers: [("Content-Type", "application/json")], body: w.bytes)
    }

    /// Body: empty, `{}` or `{"accountId": "123456789012"}`. Unknown members are refused so a
    /// misspelt `accountID` does not silently make an account with a random id.
    private func createAccount(_ r: AWSRequest) async -> AWSResponse {
        var requested: String?
        if r.body.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) {
            guard let body = try? JSONReader.parse(r.body), case .object(let members) = body else {
                return error(400, "The body must be a JSON object, e.g. {\"accountId\": \"123456789012\"}")
            }
            if let unknown = members.keys.sorted().first(where: { $0 != "accountId" }) {
                return error(400, "Unknown member '\(unknown)'; the only member is accountId")
            }
            switch members["accountId"] {
            case nil, .null?: break
            case .string(let s)?: requested = s
            default: return error(400, "accountId must be a string of 12 digits")
            }
        }
        do {
            let a = try await accounts.create(accountId: requested)
            dispatcher.log(.info, "account \(a.accountId) created")
            return json(201, accountJSON(a, withSecret: true))
        } catch {
            return failure(error)
        }
    }

    /// Keys stop working first, then every service wipes the account, then it is forgotten.
    /// 204 No Content: nothing of the account is left to describe.
    private func deleteAccount(_ id: String) async -> AWSResponse {
        let a: AccountRegistry.Account
        do {
            a = try accounts.beginDeletion(id)
        } catch {
            return failure(error)
        }
        do {
            try await wipe(id)
            try await accounts.finishDeletion(a)
        } catch {
            accounts.abortDeletion(a)
            dispatcher.log(.error, "deleting account \(id) failed: \(error)")
            return self.error(500, "Deleting account \(id) failed: \(error); the account is kept, retry the deletion")
        }
        dispatcher.log(.info, "account \(id) deleted")
        return AWSResponse(status: 204, headers: [], body: [])
    }

    /// Every service forgets the account's resources; the account and its keys stay.
    private func resetAccount(_ id: String) async -> AWSResponse {
        do {
            _ = try accounts.account(id)
            try await wipe(id)
        } catch {
            return failure(error)
        }
        dispatcher.log(.info, "account \(id) reset")
        return AWSResponse(status: 204, headers: [], body: [])
    }

    /// Each account-scoped service in turn; returns once every removal is durable.
    private func wipe(_ id: String) async throws {
        let services = dispatcher.registry.entries.keys.sorted().compactMap {
            dispatcher.registry.entries[$0]?.handler as? any AccountScopedService
        }
        for s in services { try await s.removeAccount(id) }
        inbox.removeAccount(id)
    }

    private func accountJSON(_ a: AccountRegistry.Account, withSecret: Bool) -> String {
        var w = ByteWriter(capacity: 200)
        w.append("{\"accountId\":")
        w.appendJSONString(a.accountId)
        w.append(",\"rootAccessKeyId\":")
        w.appendJSONString(a.rootAccessKeyId)
        if withSecret {
            w.append(",\"rootSecretAccessKey\":")
            w.appendJSONString(a.rootSecretAccessKey)
        }
        w.append(",\"createdAt\":")
        w.appendJSONString(Timestamp.iso8601(a.createdAt))
        w.append(",\"default\":")
        w.append(a.isDefault ? "true" : "false")
        w.append("}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private func failure(_ e: any Error) -> AWSResponse {
        guard let f = e as? AccountRegistry.Failure else {
            dispatcher.log(.error, "admin request failed: \(e)")
            return error(500, "\(e)")
        }
        switch f {
        case .invalidAccountId, .defaultAccount: return error(400, f.message)
        case .alreadyExists, .busy: return error(409, f.message)
        case .notFound: return error(404, f.message)
        }
    }

    // MARK: Services

    private func servicesJSON() -> String {
        var w = ByteWriter(capacity: 4096)
        w.append("{\"services\":[")
        var first = true
        for name in dispatcher.registry.entries.keys.sorted() {
            let e = dispatcher.registry.entries[name]!
            if !first { w.append(",") }
            first = false
            w.append("{\"name\":")
            w.appendJSONString(name)
            w.append(",\"protocols\":[")
            w.append(e.facts.protocols.map { "\"\($0)\"" }.joined(separator: ","))
            w.append("],\"signingName\":")
            w.appendJSONString(e.facts.signingName)
            w.append(",\"implemented\":[")
            w.append((e.handler?.implementedOperations.sorted() ?? []).map { "\"\($0)\"" }.joined(separator: ","))
            w.append("]}")
        }
        w.append("]}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// `?names`: the same services, names only (`{"services":["dynamodb","s3",…]}`).
    private func serviceNamesJSON() -> String {
        var w = ByteWriter(capacity: 512)
        w.append("{\"services\":[")
        for (i, name) in dispatcher.registry.entries.keys.sorted().enumerated() {
            if i > 0 { w.append(",") }
            w.appendJSONString(name)
        }
        w.append("]}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    // MARK: Helpers

    /// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
    static func authorized(_ r: AWSRequest, token: String) -> Bool {
        guard let h = r.header("authorization"), h.utf8.count > 7, h.prefix(7).lowercased() == "bearer " else { return false }
        let given = Array(h.utf8.dropFirst(7))
        let expected = Array(token.utf8)
        var diff = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count { diff |= expected[i] ^ (i < given.count ? given[i] : 0) }
        return diff == 0
    }

    func methodNotAllowed(_ r: AWSRequest, allow: String) -> AWSResponse {
        var response = error(405, "Method \(r.method) is not allowed on \(r.rawPath); allowed: \(allow)")
        response.headers.append(("Allow", allow))
        return response
    }

    func error(_ status: Int, _ message: String) -> AWSResponse {
        var w = ByteWriter(capacity: message.utf8.count + 16)
        w.append("{\"error\":")
        w.appendJSONString(message)
        w.append("}")
        return AWSResponse(status: status, headers: [("Content-Type", "application/json")], body: w.bytes)
    }

    func json(_ status: Int, _ body: String) -> AWSResponse {
        AWSResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
