import SimfraCore
import SimfraPersistence
import SimfraProtocols

/// `/_simfra/*`: health and introspection, answered before anything AWS and without auth.
struct AdminRoutes: Sendable {
    let dispatcher: Dispatcher
    let store: PersistenceStore?
    var persistenceEnabled: Bool { store != nil }

    func handle(_ r: AWSRequest) -> AWSResponse {
        switch (r.method, r.rawPath) {
        case ("GET", "/_simfra/health"), ("HEAD", "/_simfra/health"):
            guard dispatcher.ready.load(ordering: .acquiring) else {
                return json(503, "{\"status\":\"starting\"}")
            }
            return json(200, "{\"status\":\"healthy\",\"services\":\(dispatcher.registry.implementedCount),"
                + "\"dockerEnabled\":false,\"persistenceEnabled\":\(persistenceEnabled)}")
        case ("GET", "/_simfra/services"):
            return json(200, servicesJSON())
        case ("GET", "/_simfra/storage/summary"):
            let summary = store?.summary() ?? .disabled
            return AWSResponse(status: 200, headers: [("Content-Type", "application/json")], body: summary.jsonBytes())
        default:
            return json(404, "{\"error\":\"NotFound\",\"message\":\"No admin route \(r.method) \(r.rawPath)\"}")
        }
    }

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

    private func json(_ status: Int, _ body: String) -> AWSResponse {
        AWSResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
