import Synchronization

/// All models shipped in the binary, each indexed on first use.
package final class ModelStore: Sendable {
    package static let shared = ModelStore()

    private let texts: [String: StaticString]
    private let loaded = Mutex<[String: ServiceModel]>([:])

    private init() {
        var t: [String: StaticString] = [:]
        for (name, text) in ModelData.all { t[name] = text }
        texts = t
    }

    package var botocoreVersion: String { ModelData.botocoreVersion }
    package var serviceNames: [String] { texts.keys.sorted() }

    package func model(_ name: String) -> ServiceModel? {
        if let m = loaded.withLock({ $0[name] }) { return m }
        guard let text = texts[name] else { return nil }
        let m = ServiceModel(name: name, text: text)
        return loaded.withLock { cache in
            if let existing = cache[name] { return existing }
            cache[name] = m
            return m
        }
    }
}

/// What request routing needs to know of a service without indexing its model.
package struct RoutingFacts: Sendable {
    package let service: String
    package let endpointPrefix: String
    package let signingName: String
    package let targetPrefix: String?
    package let protocols: [String]
}

extension ModelStore {
    package var routing: [RoutingFacts] {
        ModelData.routing.map {
            RoutingFacts(service: $0.0, endpointPrefix: $0.1, signingName: $0.2, targetPrefix: $0.3, protocols: $0.4)
        }
    }
}
