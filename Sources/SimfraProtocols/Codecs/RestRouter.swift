import SimfraModels
import Synchronization

/// Matches REST requests (restJson1, restXml) to operations by method, URI template and the
/// query keys a template requires (`/{Bucket}?uploads`), preferring the most specific route.
package final class RestRouter: Sendable {
    struct Route: Sendable {
        enum Segment: Sendable, Equatable {
            case literal(String)
            case label(String)
            case greedy(String)
        }
        let operation: String
        let method: String
        let segments: [Segment]
        /// Query keys the template names (`?uploads`, `?uploadId`): must be present;
        /// `key=value` literals must match.
        let query: [(String, String?)]
        /// Headers the input requires (`x-amz-copy-source` tells CopyObject from PutObject).
        let headers: [String]
        let score: Int
    }

    /// Routes per HTTP method, most specific first.
    private let routes: [String: [Route]]

    package init(model: ServiceModel) {
        var routes: [Route] = []
        for op in model.allOperations() {
            let uri = op.requestUri
            let pathPart: Substring
            var query: [(String, String?)] = []
            if let q = uri.firstIndex(of: "?") {
                pathPart = uri[..<q]
                for item in uri[uri.index(after: q)...].split(separator: "&") {
                    let kv = item.split(separator: "=", maxSplits: 1)
                    let k = String(kv[0])
                    // `x-id` only labels the operation for logs; SDKs may omit it.
                    if k == "x-id" { continue }
                    query.append((k, kv.count > 1 ? String(kv[1]) : nil))
                }
            } else {
                pathPart = uri[...]
            }
            // Required query and header members disambiguate routes sharing a template
            // (UploadPart is PUT /{Bucket}/{Key+} with required partNumber and uploadId).
            var headers: [String] = []
            if let input = op.input, let shape = model.shape(input) {
                for m in shape.members where shape.required.contains(m.name) {
                    let wire = m.locationName ?? m.name
                    if m.location == .querystring, !query.contains(where: { $0.0 == wire }) { query.append((wire, nil)) }
                    if m.location == .header { headers.append(wire.lowercased()) }
                }
            }
            var segs: [Route.Segment] = []
            var literals = 0
            for s in pathPart.split(separator: "/", omittingEmptySubsequences: true) {
                if s.hasPrefix("{") && s.hasSuffix("}") {
                    let inner = s.dropFirst().dropLast()
                    if inner.hasSuffix("+") { segs.append(.greedy(String(inner.dropLast()))) }
                    else { segs.append(.label(String(inner))) }
                } else {
                    segs.append(.literal(String(s)))
                    literals += 1
                }
            }
            // Literal segments weigh most, then required query keys; greedy labels least.
            let greedyPenalty = segs.contains { if case .greedy = $0 { return true }; return false } ? 1 : 0
            routes.append(Route(operation: op.name, method: op.method, segments: segs, query: query, headers: headers,
                                score: literals * 100 + segs.count * 10 + (query.count + headers.count) * 5 - greedyPenalty
                                    - (op.deprecated ? 2 : 0)))
        }
        self.routes = Dictionary(grouping: routes.sorted { $0.score > $1.score }, by: \.method)
    }

    package struct Match: Sendable {
        package var operation: String
        /// Label name -> decoded value.
        package var labels: [String: String]
    }

    /// - Parameters:
    ///   - segments: the request path after its leading `/`, split on `/` keeping empty
    ///     segments (S3 keys may hold `//`), each percent-decoded.
    package func match(method: String, segments: [String], queryKeys: [String: String], hasHeader: (String) -> Bool)
        -> Match?
    {
        for r in routes[method] ?? [] {
            // Query keys and headers first: they are cheap, and most of S3's routes on
            // `/{Bucket}/{Key+}` differ only by them (a path match builds the label map).
            var ok = true
            for (k, v) in r.query {
                guard let got = queryKeys[k] else { ok = false; break }
                if let v, got != v { ok = false; break }
            }
            guard ok, r.headers.allSatisfy(hasHeader), let labels = Self.matchPath(r.segments, segments) else { continue }
            return Match(operation: r.operation, labels: labels)
        }
        return nil
    }

    /// The methods some operation accepts for this request's path, query and headers: the
    /// `Allow` header of a 405 (only on that error path, so the extra matching costs nothing
    /// on success).
    package func allowedMethods(segments: [String], queryKeys: [String: String], hasHeader: (String) -> Bool) -> [String] {
        routes.keys.sorted().filter { match(method: $0, segments: segments, queryKeys: queryKeys, hasHeader: hasHeader) != nil }
    }

    private static func matchPath(_ tpl: [Route.Segment], _ all: [String]) -> [String: String]? {
        var segs = all[...]
        let hasGreedy = tpl.contains { if case .greedy = $0 { return true }; return false }
        // Without a greedy label a trailing slash (or the bare root) carries nothing.
        if !hasGreedy, segs.last == "" { segs = segs.dropLast() }
        var labels: [String: String] = [:]
        var i = segs.startIndex
        for (ti, t) in tpl.enumerated() {
            switch t {
            case .literal(let l):
                guard i < segs.endIndex, segs[i] == l else { return nil }
                i += 1
            case .label(let name):
                guard i < segs.endIndex, !segs[i].isEmpty else { return nil }
                labels[name] = segs[i]
                i += 1
            case .greedy(let name):
                // Greedy labels take the rest, less whatever literal segments follow.
                let remainingLiterals = tpl.count - ti - 1
                let end = segs.endIndex - remainingLiterals
                guard end > i, !(end - i == 1 && segs[i].isEmpty) else { return nil }
                labels[name] = segs[i..<end].joined(separator: "/")
                i = end
            }
        }
        return i == segs.endIndex ? labels : nil
    }
}
