import NIOCore
import NIOHTTP1
import SimfraModels
import SimfraCore
import SimfraProtocols

/// An error the HTTP layer answers itself, before (or instead of) a service: malformed
/// framing, timeouts, a connection over the cap, a body over the limit. It is rendered in the
/// shape the client's request suggests (S3's XML when nothing is known yet), always with a
/// request id, as AWS's front ends answer them.
struct FrontEndError: Sendable {
    var status: Int
    var code: String
    var message: String

    /// Malformed HTTP (bad or duplicate Content-Length, bad Transfer-Encoding, bad header
    /// names, raw bytes where the grammar allows none, trailing garbage).
    static let badRequest = FrontEndError(status: 400, code: "BadRequest", message: "An error occurred when parsing the HTTP request.")
    static let methodNotAllowed = FrontEndError(
        status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")
    static let headersTooLarge = FrontEndError(
        status: 400, code: "RequestHeaderSectionTooLarge", message: "Your request header section exceeds the maximum allowed size.")
    static let requestTimeout = FrontEndError(
        status: 400, code: "RequestTimeout",
        message: "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
    static let slowDown = FrontEndError(
        status: 503, code: "SlowDown",
        message: "Please reduce your request rate. Simfra is at its connection limit (SIMFRA_MAX_CONNECTIONS).")

    static func tooLarge(_ limit: Int) -> FrontEndError {
        FrontEndError(status: 413, code: "RequestEntityTooLarge",
                      message: "Request body exceeds the maximum allowed size of \(limit) bytes")
    }

    /// The error for a parser failure; nil when the peer is gone and nothing can be answered.
    static func parser(_ e: HTTPParserError) -> FrontEndError? {
        switch e {
        case .headerOverflow: return headersTooLarge
        case .invalidEOFState, .closedConnection: return nil
        default: return badRequest
        }
    }

    /// The wire shape of an error document.
    enum Shape: Sendable {
        case restXml, query, json, cbor

        /// From the request head: JSON protocols carry `X-Amz-Target` or a JSON content type,
        /// query protocols a form body; everything else (REST, S3) gets S3's XML.
        init(_ head: HTTPRequestHead) {
            self.init { head.headers.first(name: $0) }
        }

        init(header: (String) -> String?) {
            if header("smithy-protocol") == "rpc-v2-cbor" {
                self = .cbor
                return
            }
            if header("x-amz-target") != nil {
                self = .json
                return
            }
            let type = header("content-type") ?? ""
            if type.contains("json") { self = .json }
            else if type.hasPrefix("application/cbor") { self = .cbor }
            else if type.hasPrefix("application/x-www-form-urlencoded") { self = .query }
            // REST and body-less requests: the credential scope names the service, and its
            // protocol says how its clients read an error (Lambda's SDK wants JSON).
            else if let auth = header("authorization"), let service = Self.scopeService(auth),
                let shape = Self.bySigningName[service]
            { self = shape }
            else { self = .restXml }
        }

        /// From the raw bytes of a request the HTTP parser refused: its header lines, read
        /// leniently, are the only clue to which service it was for.
        init(raw: ByteBuffer) {
            var headers: [String: String] = [:]
            for line in raw.readableBytesView.prefix(16 * 1024).split(separator: 0x0A).dropFirst() {
                guard let colon = line.firstIndex(of: 0x3A) else { continue }
                let name = String(decoding: Self.trimmed(line[..<colon]), as: UTF8.self).lowercased()
                let value = String(decoding: Self.trimmed(line[line.index(after: colon)...]), as: UTF8.self)
                if headers[name] == nil { headers[name] = value }
            }
            self.init { headers[$0] }
        }

        private static func trimmed(_ b: ByteBufferView.SubSequence) -> ByteBufferView.SubSequence {
            let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            guard let first = b.firstIndex(where: { !blank($0) }), let last = b.lastIndex(where: { !blank($0) }) else {
                return b[b.startIndex..<b.startIndex]
            }
            return b[first...last]
        }

        /// `Credential=AKID/date/region/SERVICE/aws4_request` → SERVICE.
        static func scopeService(_ authorization: String) -> String? {
            guard let r = authorization.range(of: "Credential=") else { return nil }
            let parts = authorization[r.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/")
            return parts.count == 5 ? String(parts[3]) : nil
        }

        /// Each signing name's error shape, from the first protocol its model lists (the first
        /// model to claim a signing name wins: S3 over S3 Control, DynamoDB over Streams).
        static let bySigningName: [String: Shape] = {
            var out: [String: Shape] = [:]
            for r in ModelStore.shared.routing where out[r.signingName] == nil {
                switch r.protocols.first {
                case "smithy-rpc-v2-cbor": out[r.signingName] = .cbor
                case "json", "rest-json": out[r.signingName] = .json
                case "query", "ec2": out[r.signingName] = .query
                default: out[r.signingName] = .restXml
                }
            }
            return out
        }()
    }

    func response(_ shape: Shape, requestId: String) -> AWSResponse {
        var w = ByteWriter(capacity: 256)
        var headers: [(String, String)]
        switch shape {
        case .restXml:
            w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>")
            w.append(code)
            w.append("</Code><Message>")
            w.appendXMLEscaped(message)
            w.append("</Message><RequestId>")
            w.append(requestId)
            w.append("</RequestId><HostId>")
            w.append(Dispatcher.hostId(requestId))
            w.append("</HostId></Error>")
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", requestId),
                       ("x-amz-id-2", Dispatcher.hostId(requestId))]
        case .query:
            w.append("<ErrorResponse><Error><Type>")
            w.append(status >= 500 ? "Receiver" : "Sender")
            w.append("</Type><Code>")
            w.append(code)
            w.append("</Code><Message>")
            w.appendXMLEscaped(message)
            w.append("</Message></Error><RequestId>")
            w.append(requestId)
            w.append("</RequestId></ErrorResponse>")
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestId)]
        case .json:
            w.append("{\"__type\":")
            w.appendJSONString(code)
            w.append(",\"message\":")
            w.appendJSONString(message)
            w.append("}")
            headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", requestId),
                       ("x-amzn-ErrorType", code)]
        case .cbor:
            w.bytes = CBOREncoder.encode(["__type": .string(code), "message": .string(message)])
            headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                       ("x-amzn-RequestId", requestId)]
        }
        return AWSResponse(status: status, headers: headers, body: w.bytes)
    }

    /// The whole response as raw HTTP/1.1 bytes with `Connection: close`, for a channel with no
    /// HTTP encoder (a connection refused over the cap).
    func rawResponse(_ shape: Shape, requestId: String) -> [UInt8] {
        let r = response(shape, requestId: requestId)
        var w = ByteWriter(capacity: 512 + r.body.count)
        w.append("HTTP/1.1 \(status) \(HTTPResponseStatus(statusCode: status).reasonPhrase)\r\n")
        for (k, v) in r.headers { w.append("\(k): \(v)\r\n") }
        w.append("Content-Length: \(r.body.count)\r\nServer: Simfra\r\nConnection: close\r\n\r\n")
        w.bytes.append(contentsOf: r.body)
        return w.bytes
    }
}
