import SimfraProtocols

/// Finds the service a request is for, in Simfra's documented order: Host header, path
/// prefix, S3 virtual host, X-Amz-Target, SigV4 credential scope, form `Action=`; REST
/// paths fall back to S3.
struct ServiceDetector: Sendable {
    let registry: ServiceRegistry

    struct Detected {
        var entry: ServiceRegistry.Entry
        /// S3 virtual-host style: the bucket named by the Host header.
        var virtualBucket: String?
        /// Region named by the Host header (`sqs.eu-west-1.localhost`), if any.
        var hostRegion: String?
    }

    func detect(_ r: AWSRequest, scopeService: String?) -> Detected? {
        let host = r.header("host").map(Self.stripPort) ?? ""

        // 1 and 3: Host header (`sqs.us-east-1.localhost`, `bucket.s3.localhost`).
        if let d = fromHost(host, r) { return d }

        // 2: path prefixes of services whose Host would otherwise be plain localhost.
        if r.rawPath.hasPrefix("/2013-04-01/"), let e = registry.entries["route53"] { return Detected(entry: e) }
        if r.rawPath.hasPrefix("/v20180820/"), let e = registry.entries["s3control"] { return Detected(entry: e) }

        // 4: X-Amz-Target names the JSON service exactly.
        if let target = r.header("x-amz-target"), let dot = target.firstIndex(of: ".") {
            if let e = registry.byTargetPrefix[String(target[..<dot])] { return Detected(entry: e) }
        }

        // 5: the credential scope's service (its signing name).
        if let s = scopeService, let candidates = registry.bySigningName[s] {
            return Detected(entry: pick(candidates, r))
        }

        // 6: a form Action= some query service defines.
        if let action = formAction(r) {
            for name in registry.entries.keys.sorted() {
                let e = registry.entries[name]!
                if e.speaksQuery && e.model.operation(action) != nil { return Detected(entry: e) }
            }
        }
        if let s = scopeService, registry.entries[s] == nil, !s.isEmpty { return nil }
        // REST paths fall back to S3.
        return registry.entries["s3"].map { Detected(entry: $0) }
    }

    private func fromHost(_ host: String, _ r: AWSRequest) -> Detected? {
        guard host.hasSuffix(".localhost") else { return nil }
        let labels = host.dropLast(".localhost".count).split(separator: ".").map(String.init)
        guard !labels.isEmpty else { return nil }
        if let i = labels.firstIndex(of: "s3"), let s3 = registry.entries["s3"] {
            let region = i + 1 < labels.count && Config.isRegionName(labels[i + 1]) ? labels[i + 1] : nil
            if i == 0 { return Detected(entry: s3, hostRegion: region) }
            return Detected(entry: s3, virtualBucket: labels[0..<i].joined(separator: "."), hostRegion: region)
        }
        // Endpoint prefixes may span labels (`api.ecr`, `streams.dynamodb`).
        for n in stride(from: min(2, labels.count), through: 1, by: -1) {
            let prefix = labels[0..<n].joined(separator: ".")
            if let candidates = registry.byEndpoint[prefix] ?? registry.bySigningName[prefix] {
                let region = n < labels.count && Config.isRegionName(labels[n]) ? labels[n] : nil
                return Detected(entry: pick(candidates, r), hostRegion: region)
            }
        }
        return nil
    }

    /// Among services sharing a name (`email`: SES and SES v2; `dynamodb`: DynamoDB and its
    /// streams), the request's own form decides.
    private func pick(_ candidates: [ServiceRegistry.Entry], _ r: AWSRequest) -> ServiceRegistry.Entry {
        if candidates.count == 1 { return candidates[0] }
        if let target = r.header("x-amz-target"), let dot = target.firstIndex(of: ".") {
            let prefix = String(target[..<dot])
            if let e = candidates.first(where: { $0.facts.targetPrefix == prefix }) { return e }
        }
        if formAction(r) != nil, let e = candidates.first(where: { $0.speaksQuery }) { return e }
        if let e = candidates.first(where: { $0.isRestOnly }) { return e }
        return candidates[0]
    }

    private func formAction(_ r: AWSRequest) -> String? {
        if let a = r.queryValue("Action") { return a }
        let ct = r.header("content-type") ?? ""
        guard ct.hasPrefix("application/x-www-form-urlencoded"), !r.body.isEmpty,
            let form = URLEncoding.parseForm(r.body)
        else { return nil }
        return form.first(where: { $0.0 == "Action" })?.1
    }

    static func stripPort(_ host: String) -> String {
        if host.hasPrefix("[") { return host }
        if let c = host.lastIndex(of: ":") { return String(host[..<c]).lowercased() }
        return host.lowercased()
    }
}
