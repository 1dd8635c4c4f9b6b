import Testing

@testable import SimfraEventing

/// The outbound HTTP client's URL handling and its failure outcomes (no network needed).
@Suite struct HTTPDeliveryTests {
    @Test func targets() throws {
        let a = try #require(HTTPDelivery.Target("http://127.0.0.1:8080/hook?x=1"))
        #expect(!a.tls && a.host == "127.0.0.1" && a.port == 8080 && a.path == "/hook?x=1" && a.hostHeader == "127.0.0.1:8080")
        let b = try #require(HTTPDelivery.Target("HTTPS://example.com"))
        #expect(b.tls && b.port == 443 && b.path == "/")
        let c = try #require(HTTPDelivery.Target("http://[::1]:9/p"))
        #expect(c.host == "::1" && c.port == 9 && c.path == "/p")
        let d = try #require(HTTPDelivery.Target("http://user:pw@h?q"))
        #expect(d.host == "h" && d.port == 80 && d.path == "/?q")
        #expect(HTTPDelivery.Target("ftp://h/") == nil)
        #expect(HTTPDelivery.Target("http://h:99999/") == nil)
        #expect(HTTPDelivery.Target("http:///x") == nil)
    }

    @Test func failuresAreOutcomesNotErrors() async {
        // HTTPS goes through TLS: an endpoint that is not there is unreachable like an http one.
        if case .unreachable(let why) = await HTTPDelivery.post("https://127.0.0.1:1/", headers: [], body: []) {
            #expect(why.hasPrefix("cannot connect to 127.0.0.1:1"))
        } else {
            Issue.record("expected unreachable")
        }
        // Port 1 on loopback: nothing listens, the connection is refused.
        if case .unreachable = await HTTPDelivery.post("http://127.0.0.1:1/", headers: [], body: []) {} else {
            Issue.record("expected unreachable")
        }
        #expect(await HTTPDelivery.post("mailto:x", headers: [], body: []) == .unreachable("not an http(s) URL: mailto:x"))
    }

    @Test func trustingAFileWithoutCertificatesIsAnError() {
        #expect(throws: HTTPDelivery.TLSSetupError.self) { try HTTPDelivery.trustAlso(pemFile: "/nonexistent/ca.pem") }
    }
}
