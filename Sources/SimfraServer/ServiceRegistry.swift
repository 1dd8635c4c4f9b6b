import SimfraCore
import SimfraModels
import SimfraProtocols
import Synchronization

/// Every service Simfra knows (one per shipped model), its handler if implemented, and the
/// lookup tables service detection uses.
final class ServiceRegistry: Sendable {
    final class Entry: Sendable {
        let name: String
        let facts: RoutingFacts
        let handler: (any AWSService)?
        private let state = Mutex<(model: ServiceModel?, router: RestRouter?, codecs: [WireProtocol: ProtocolCodec])>(
            (nil, nil, [:]))

        init(facts: RoutingFacts, handler: (any AWSService)?) {
            name = facts.service
            self.facts = facts
            self.handler = handler
        }

        /// The model, indexed on first use.
        var model: ServiceModel {
            if let m = state.withLock({ $0.model }) { return m }
            let m = ModelStore.shared.model(name)!
            state.withLock { $0.model = m }
            return m
        }

        func codec(_ wire: WireProtocol) -> ProtocolCodec {
            if let c = state.withLock({ $0.codecs[wire] }) { return c }
            let m = model
            // The REST routing table decodes every operation once; build it outside the lock.
            let router: RestRouter? = wire.isRest ? (state.withLock { $0.router } ?? RestRouter(model: m)) : nil
            let c = ProtocolCodec(model: m, wire: wire, router: router)
            state.withLock {
                if router != nil { $0.router = router }
                $0.codecs[wire] = c
            }
            return c
        }

        var isRestOnly: Bool { facts.protocols.allSatisfy { $0.hasPrefix("rest-") } }
        var speaksQuery: Bool { facts.protocols.contains("query") || facts.protocols.contains("ec2") || name == "sqs" }
    }

    let entries: [String: Entry]
    let byTargetPrefix: [String: Entry]
    /// endpointPrefix and signingName -> services (several share one: `email`, `dynamodb`).
    let byEndpoint: [String: [Entry]]
    let bySigningName: [String: [Entry]]

    init(handlers: [any AWSService]) {
        var h: [String: any AWSService] = [:]
        for s in handlers { h[s.serviceName] = s }
        var entries: [String: Entry] = [:]
        var byTarget: [String: Entry] = [:]
        var byEndpoint: [String: [Entry]] = [:]
        var bySigning: [String: [Entry]] = [:]
        for f in ModelStore.shared.routing {
            let e = Entry(facts: f, handler: h[f.service])
            entries[f.service] = e
            if let t = f.targetPrefix { byTarget[t] = e }
            byEndpoint[f.endpointPrefix, default: []].append(e)
            bySigning[f.signingName, default: []].append(e)
        }
        self.entries = entries
        byTargetPrefix = byTarget
        self.byEndpoint = byEndpoint
        bySigningName = bySigning
    }

    var implementedCount: Int { entries.values.filter { $0.handler != nil }.count }
}
