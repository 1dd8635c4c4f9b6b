import SimfraCore
import SimfraProtocols

/// A response produced outside the protocol codec (CORS preflight).

/// CORS from the bucket's stored configuration: unsigned `OPTIONS` preflights, and the
/// `Access-Control-*` headers added to actual requests that carry an `Origin`.
extension S3Service: CORSService {
    /// Answers `OPTIONS /bucket[/key]` (path or virtual-host style; the server extracts the
    /// bucket). Unauthenticated, like S3.
    public func preflight(bucket name: String, origin: String?, requestMethod: String?, requestHeaders: String?,
                          requestId: String) -> RawResponse
    {
        func error(_ status: Int, _ code: String, _ message: String, extra: [(String, String)] = []) -> RawResponse {
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(Self.xmlEscape(message))</Message>"
            for (k, v) in extra { xml += "<\(k)>\(Self.xmlEscape(v))</\(k)>" }
            xml += "<RequestId>\(requestId)</RequestId></Error>"
            return RawResponse(status: status, headers: [("Content-Type", "application/xml")], body: Array(xml.utf8))
        }
        guard let origin, !origin.isEmpty else {
            return error(400, "BadRequest", "Insufficient information. Origin request header needed.")
        }
        guard let method = requestMethod, !method.isEmpty else {
            return error(400, "BadRequest", "Invalid Access-Control-Request-Method: null")
        }
        let rules: [Value]?? = state.withLock { s in
            guard let b = s.buckets[name] else { return .none }
            return .some(b.config["CORS"]?.listValue)
        }
        guard let found = rules else {
            return error(404, "NoSuchBucket", "The specified bucket does not exist", extra: [("BucketName", name)])
        }
        guard let rules = found else {
            return error(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.",
                         extra: [("Method", method), ("ResourceType", "BUCKET")])
        }
        let headers = (requestHeaders ?? "").split(separator: ",").map { $0.trimmingCharacters(in: " ").lowercased() }
            .filter { !$0.isEmpty }
        for rule in rules where Self.ruleMatches(rule, origin: origin, method: method) {
            let allowed = (rule["AllowedHeaders"]?.listValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }
            guard headers.allSatisfy({ h in allowed.contains { Self.wildcardMatch($0, h) } }) else { continue }
            var out = Self.corsResponseHeaders(rule, origin: origin)
            if !headers.isEmpty { out.append(("Access-Control-Allow-Headers", headers.joined(separator: ", "))) }
            out.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
            return RawResponse(status: 200, headers: out, body: [])
        }
        return error(403, "AccessForbidden",
                     "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                     extra: [("Method", method), ("ResourceType", "OBJECT")])
    }

    /// Headers to add to the response of an actual (signed) request with an `Origin`.
    public func corsHeaders(bucket name: String, origin: String, method: String) -> [(String, String)] {
        let rules: [Value]? = state.withLock { s in s.buckets[name]?.config["CORS"]?.listValue }
        guard let rules else { return [] }
        for rule in rules where Self.ruleMatches(rule, origin: origin, method: method) {
            var out = Self.corsResponseHeaders(rule, origin: origin)
            out.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
            return out
        }
        return []
    }

    static func ruleMatches(_ rule: Value, origin: String, method: String) -> Bool {
        let origins = (rule["AllowedOrigins"]?.listValue ?? []).compactMap(\.stringValue)
        let methods = (rule["AllowedMethods"]?.listValue ?? []).compactMap(\.stringValue)
        return methods.contains(method) && origins.contains { wildcardMatch($0, origin) }
    }

    static func corsResponseHeaders(_ rule: Value, origin: String) -> [(String, String)] {
        let origins = (rule["AllowedOrigins"]?.listValue ?? []).compactMap(\.stringValue)
        let methods = (rule["AllowedMethods"]?.listValue ?? []).compactMap(\.stringValue)
        var out: [(String, String)] = []
        if origins.contains("*") {
            out.append(("Access-Control-Allow-Origin", "*"))
        } else {
            out.append(("Access-Control-Allow-Origin", origin))
            out.append(("Access-Control-Allow-Credentials", "true"))
        }
        out.append(("Access-Control-Allow-Methods", methods.joined(separator: ", ")))
        let expose = (rule["ExposeHeaders"]?.listValue ?? []).compactMap(\.stringValue)
        if !expose.isEmpty { out.append(("Access-Control-Expose-Headers", expose.joined(separator: ", "))) }
        if let age = rule.int64("MaxAgeSeconds") { out.append(("Access-Control-Max-Age", String(age))) }
        return out
    }

    /// Case-sensitive match with at most one `*` standing for any run of characters.
    static func wildcardMatch(_ pattern: String, _ s: String) -> Bool {
        guard let star = pattern.firstIndex(of: "*") else { return pattern == s }
        let head = pattern[..<star]
        let tail = pattern[pattern.index(after: star)...]
        return s.count >= head.count + tail.count && s.hasPrefix(head) && s.hasSuffix(tail)
    }

    static func xmlEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
