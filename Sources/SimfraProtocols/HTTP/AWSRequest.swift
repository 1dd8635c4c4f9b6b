/// A request as the protocol layer sees it: no NIO types, raw path and query as received,
/// headers in arrival order, the body fully read (streamed bodies never reach this type).
package struct AWSRequest: Sendable {
    package var method: String
    /// Path before `?`, still percent-encoded as the client sent it.
    package var rawPath: String
    /// Query string after `?` (without it), as sent.
    package var rawQuery: String
    /// Header names lower-cased, values as sent, in arrival order.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// The client's IP address (`aws:SourceIp`), when the connection has one.
    package var remoteAddress: String?

    package init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        if let q = uri.firstIndex(of: "?") {
            rawPath = String(uri[..<q])
            rawQuery = String(uri[uri.index(after: q)...])
        } else {
            rawPath = uri
            rawQuery = ""
        }
        self.headers = headers
        self.body = body
    }

    /// First value of a header, case-insensitively.
    package func header(_ name: String) -> String? {
        // Names are stored lower-cased by the server; callers pass lower-case names.
        for h in headers where h.name == name { return h.value }
        return nil
    }

    /// Query parameters, percent-decoded, in order. `+` is kept literally, as SigV4 does.
    package var queryItems: [(String, String)] {
        URLEncoding.parsePairs(rawQuery, plusIsSpace: false)
    }

    package func queryValue(_ name: String) -> String? {
        queryItems.first(where: { $0.0 == name })?.1
    }

    /// The percent-decoded path.
    package var path: String { URLEncoding.decode(rawPath, plusIsSpace: false) ?? rawPath }
}

extension String {
    /// ASCII case-insensitive comparison (header names are ASCII).
    package func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            let lx = x >= 65 && x <= 90 ? x + 32 : x
            let ly = y >= 65 && y <= 90 ? y + 32 : y
            if lx != ly { return false }
        }
        return true
    }
}
