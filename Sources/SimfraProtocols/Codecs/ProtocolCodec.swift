import SimfraCore
import SimfraModels

/// One service's codec for one wire protocol: finds the operation a request names, decodes
/// and validates its input, and encodes outputs and errors the way that protocol's SDK
/// parsers expect. Everything service-specific comes from the model.
package struct ProtocolCodec: Sendable {
    package let model: ServiceModel
    package let wire: WireProtocol
    let router: RestRouter?

    package init(model: ServiceModel, wire: WireProtocol, router: RestRouter?) {
        self.model = model
        self.wire = wire
        self.router = router
    }

    /// The operation a request names, plus URI labels for REST protocols.
    package struct Resolved: Sendable {
        package var operation: Operation
        package var labels: [String: String] = [:]
        /// awsQuery/ec2Query parameters (query string + form body).
        package var params: [(String, String)] = []
        /// The parsed JSON/CBOR body, kept so it is parsed once.
        package var body: Value?
    }

    // MARK: - Request

    package func resolve(_ r: AWSRequest) throws(AWSError) -> Resolved {
        switch wire {
        case .query, .ec2:
            var params = r.queryItems
            if !r.body.isEmpty {
                let ct = r.header("content-type") ?? ""
                if ct.isEmpty || ct.hasPrefix("application/x-www-form-urlencoded") {
                    guard let form = URLEncoding.parseForm(r.body) else {
                        throw AWSError(code: "MalformedQueryString", message: "The request body is not valid form data")
                    }
                    params += form
                }
            }
            guard let action = params.first(where: { $0.0 == "Action" })?.1, !action.isEmpty else {
                throw AWSError(code: "MissingAction", message: "Missing Action")
            }
            guard let op = model.operation(action) else {
                let version = params.first(where: { $0.0 == "Version" })?.1 ?? model.metadata.apiVersion
                throw AWSError(code: "InvalidAction", message: "Could not find operation \(action) for version \(version)")
            }
            return Resolved(operation: op, params: params)
        case .json:
            guard let target = r.header("x-amz-target") else {
                throw AWSError(code: "UnknownOperationException", message: "Missing X-Amz-Target header")
            }
            let parts = target.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, String(parts[0]) == model.metadata.targetPrefix || model.metadata.targetPrefix == nil,
                let op = model.operation(String(parts[1]))
            else {
                throw AWSError(code: "UnknownOperationException", message: "Unknown operation \(target)")
            }
            return Resolved(operation: op, body: try jsonBody(r.body))
        case .rpcv2Cbor:
            // POST /service/{ServiceName}/operation/{Operation}
            let segs = r.rawPath.split(separator: "/")
            guard segs.count >= 4, segs[segs.count - 4] == "service", segs[segs.count - 2] == "operation",
                let op = model.operation(String(segs[segs.count - 1]))
            else {
                throw AWSError(code: "UnknownOperationException", message: "Unknown operation \(r.rawPath)", status: 404)
            }
            var body: Value = .object([:])
            if !r.body.isEmpty {
                do { body = try CBORDecoder.decode(r.body) } catch {
                    throw AWSError(code: "SerializationException", message: "Invalid CBOR body: \(error)")
                }
            }
            return Resolved(operation: op, body: body)
        case .restJson, .restXml:
            guard let router else { throw AWSError.internalFailure("no router") }
            let path = r.rawPath.hasPrefix("/") ? String(r.rawPath.dropFirst()) : r.rawPath
            let segments = path.split(separator: "/", omittingEmptySubsequences: false).map {
                URLEncoding.decode(String($0), plusIsSpace: false) ?? String($0)
            }
            var keys: [String: String] = [:]
            for (k, v) in r.queryItems where keys[k] == nil { keys[k] = v }
            guard let m = router.match(method: r.method, segments: segments, queryKeys: keys, hasHeader: { r.header($0) != nil }),
                let op = model.operation(m.operation)
            else {
                guard wire == .restXml else {
                    throw AWSError(code: "UnknownOperationException",
                                   message: "No operation of \(model.metadata.serviceId) matches \(r.method) \(r.rawPath)", status: 404)
                }
                // A 405 names the methods the resource does accept (RFC 9110 requires Allow).
                let allowed = router.allowedMethods(segments: segments, queryKeys: keys, hasHeader: { r.header($0) != nil })
                throw AWSError(
                    code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.",
                    status: 405, extra: ["Method": .string(r.method)],
                    headers: [("Allow", allowed.isEmpty ? "GET, HEAD, PUT, POST, DELETE" : allowed.joined(separator: ", "))])
            }
            return Resolved(operation: op, labels: m.labels)
        }
    }

    private func jsonBody(_ body: [UInt8]) throws(AWSError) -> Value {
        if body.isEmpty { return .object([:]) }
        do { return try JSONReader.parse(body) } catch {
            throw AWSError(code: "SerializationException", message: "Malformed JSON: \(error.message) at offset \(error.offset)")
        }
    }

    /// Decodes and validates the operation's input.
    package func decodeInput(_ r: AWSRequest, _ res: Resolved) throws(AWSError) -> Value {
        let v = try decodeUnvalidated(r, res)
        try validate(v, res.operation)
        return v
    }

    /// Checks a decoded input against the model's constraints.
    package func validate(_ value: Value, _ op: Operation) throws(AWSError) {
        guard let inRef = op.input, let shape = model.shape(inRef) else { return }
        let problems = ShapeValidator.validate(value, shape: shape, model: model)
        if !problems.isEmpty { throw inputError(problems) }
    }

    /// Decodes the operation's input without checking constraints.
    package func decodeUnvalidated(_ r: AWSRequest, _ res: Resolved) throws(AWSError) -> Value {
        guard let inRef = res.operation.input, let shape = model.shape(inRef) else { return .object([:]) }
        let value: Value
        do {
            switch wire {
            case .query, .ec2:
                value = try QueryInputDecoder(model: model, ec2: wire == .ec2, params: res.params).decode(shape)
            case .json, .rpcv2Cbor:
                value = try JSONShapeCodec(model: model).decode(res.body ?? .object([:]), shape)
            case .restJson, .restXml:
                value = try RestBinding(model: model, xml: wire == .restXml).decode(r, shape, labels: res.labels)
            }
        } catch {
            throw inputError([error.problem])
        }
        return value
    }

    private var queryStyleErrors: Bool { wire == .query || wire == .ec2 || model.metadata.awsQueryCompatible }

    /// The protocol's own error for bad input.
    func inputError(_ problems: [InputProblem]) -> AWSError {
        let queryCompatible = model.metadata.awsQueryCompatible
        if case .missing(let path, let member) = problems[0] {
            if queryCompatible {
                // SQS: JSON names the error by its exception shape, awsQuery by the legacy code.
                return AWSError(code: wire == .query ? "MissingParameter" : "MissingRequiredParameterException",
                                message: "The request must contain the parameter \(member).", queryCode: "MissingParameter")
            }
            if queryStyleErrors {
                return AWSError(code: "MissingParameter", message: "The request must contain the parameter \(member)")
            }
            if wire == .restXml {
                return AWSError(code: "InvalidArgument", message: "Missing required parameter \(member)")
            }
            _ = path
        }
        if case .type(let msg) = problems[0] {
            switch wire {
            case .json, .restJson, .rpcv2Cbor:
                if !model.metadata.awsQueryCompatible { return AWSError(code: "SerializationException", message: msg) }
            case .restXml:
                return AWSError(code: msg.hasPrefix("MalformedXML") ? "MalformedXML" : "InvalidArgument",
                                message: msg.hasPrefix("MalformedXML")
                                    ? "The XML you provided was not well-formed or did not validate against our published schema"
                                    : msg)
            default: break
            }
        }
        let messages = problems.map { p -> String in
            switch p {
            case .missing(let path, _): return "Value null at '\(path)' failed to satisfy constraint: Member must not be null"
            case .constraint(let m), .type(let m): return m
            }
        }
        let n = messages.count
        let text = "\(n) validation error\(n == 1 ? "" : "s") detected: " + messages.prefix(10).joined(separator: "; ")
        switch wire {
        case .ec2: return AWSError(code: "InvalidParameterValue", message: messages[0])
        case .query:
            if queryCompatible { return AWSError(code: "InvalidParameterValue", message: messages[0]) }
            return AWSError(code: "ValidationError", message: text)
        case .restXml: return AWSError(code: "InvalidArgument", message: text)
        default:
            if queryCompatible {
                return AWSError(code: "InvalidParameterValueException", message: messages[0], queryCode: "InvalidParameterValue")
            }
            return AWSError(code: "ValidationException", message: text)
        }
    }

    // MARK: - Response

    package func encodeOutput(_ v: Value, _ op: Operation, requestId: String) -> AWSResponse {
        let outShape = op.output.flatMap { model.shape($0) }
        switch wire {
        case .query:
            var w = ByteWriter(capacity: 512)
            let root = "\(op.name)Response"
            w.append("<")
            w.append(root)
            w.append(" xmlns=\"")
            w.append(queryNamespace)
            w.append("\">")
            if let outShape {
                let wrapper = op.output?.resultWrapper ?? "\(op.name)Result"
                w.append("<")
                w.append(wrapper)
                w.append(">")
                XMLShapeWriter(model: model).writeMembers(v, outShape, into: &w)
                w.append("</")
                w.append(wrapper)
                w.append(">")
            }
            w.append("<ResponseMetadata><RequestId>")
            w.append(requestId)
            w.append("</RequestId></ResponseMetadata></")
            w.append(root)
            w.append(">")
            return AWSResponse(status: 200, headers: [("Content-Type", "text/xml")], body: w.bytes)
        case .ec2:
            var w = ByteWriter(capacity: 512)
            let root = "\(op.name)Response"
            w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<")
            w.append(root)
            w.append(" xmlns=\"http://ec2.amazonaws.com/doc/\(model.metadata.apiVersion)/\"><requestId>")
            w.append(requestId)
            w.append("</requestId>")
            if let outShape { XMLShapeWriter(model: model, ec2: true).writeMembers(v, outShape, into: &w) }
            w.append("</")
            w.append(root)
            w.append(">")
            return AWSResponse(status: 200, headers: [("Content-Type", "text/xml;charset=UTF-8")], body: w.bytes)
        case .json:
            var w = ByteWriter(capacity: 256)
            if let outShape { JSONShapeCodec(model: model).write(v, outShape, into: &w) } else { w.append("{}") }
            return AWSResponse(status: 200, headers: [("Content-Type", jsonContentType)], body: w.bytes)
        case .rpcv2Cbor:
            let wireValue = outShape.map { toWire(v, $0, depth: 0) } ?? .object([:])
            return AWSResponse(
                status: 200,
                headers: [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")],
                body: CBOREncoder.encode(wireValue))
        case .restJson, .restXml:
            var status = Self.statusCorrections[model.name]?[op.name] ?? op.responseCode
            var headers: [(String, String)] = []
            guard let outShape else { return AWSResponse(status: status, headers: headers) }
            let binding = RestBinding(model: model, xml: wire == .restXml)
            binding.bindOutput(v, outShape, status: &status, headers: &headers)
            var body: [UInt8] = []
            if let pName = outShape.payload, let pm = outShape.member(named: pName) {
                let ps = model.shape(pm)
                switch v[pName] {
                case .blob(let b)?: body = b
                case .string(let s)?: body = Array(s.utf8)
                case let pv? where ps?.kind == .structure || ps?.kind == .union:
                    body = wire == .restXml
                        ? xmlDocument(pv, ps!, rootName: pm.locationName ?? ps!.locationName ?? pName, ns: pm.xmlNamespace)
                        : jsonDocument(pv, ps)
                default: break
                }
                if ps?.kind == .structure { headers.append(("Content-Type", wire == .restXml ? "application/xml" : "application/json")) }
            } else if outShape.members.contains(where: { $0.location == .body }) {
                if wire == .restXml {
                    if model.name == "s3" && op.name == "GetBucketLocation" {
                        body = s3LocationDocument(v)
                    } else {
                        let root = outShape.locationName ?? Self.restXmlRootNames[model.name]?[op.name] ?? "\(op.name)Result"
                        body = xmlDocument(v, outShape, rootName: root, ns: nil)
                    }
                    headers.append(("Content-Type", "application/xml"))
                } else {
                    body = jsonDocument(v, outShape)
                    headers.append(("Content-Type", "application/json"))
                }
            }
            return AWSResponse(status: status, headers: headers, body: body)
        }
    }

    /// Root elements of restXml outputs without a payload member, which the models do not
    /// record (S3 names them after the document, not the operation).
    /// Where the service answers a different success status than its model declares: S3's
    /// PutBucketPolicy is modelled 200 but answers 204 No Content, as SDK-free clients see.
    static let statusCorrections: [String: [String: Int]] = ["s3": ["PutBucketPolicy": 204]]

    static let restXmlRootNames: [String: [String: String]] = [
        "s3": [
            "ListBuckets": "ListAllMyBucketsResult",
            "ListObjects": "ListBucketResult",
            "ListObjectsV2": "ListBucketResult",
            "ListObjectVersions": "ListVersionsResult",
            "ListMultipartUploads": "ListMultipartUploadsResult",
            "ListParts": "ListPartsResult",
            "CreateMultipartUpload": "InitiateMultipartUploadResult",
            "CompleteMultipartUpload": "CompleteMultipartUploadResult",
            "DeleteObjects": "DeleteResult",
            "GetBucketTagging": "Tagging",
            "GetObjectTagging": "Tagging",
            "GetBucketCors": "CORSConfiguration",
            "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
            "GetBucketAcl": "AccessControlPolicy",
            "GetObjectAcl": "AccessControlPolicy",
            "GetBucketVersioning": "VersioningConfiguration",
            "GetBucketNotificationConfiguration": "NotificationConfiguration",
            "GetObjectAttributes": "GetObjectAttributesResponse",
            "GetBucketLogging": "BucketLoggingStatus",
            "GetBucketWebsite": "WebsiteConfiguration",
            "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
            "GetBucketRequestPayment": "RequestPaymentConfiguration",
            "GetBucketReplication": "ReplicationConfiguration",
        ],
    ]

    /// GetBucketLocation's document is the value itself: `<LocationConstraint>eu-west-1</…>`
    /// (botocore reads the root element's text); empty for us-east-1.
    private func s3LocationDocument(_ v: Value) -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
        if case .string(let s)? = v["LocationConstraint"] { w.appendXMLEscaped(s) }
        w.append("</LocationConstraint>")
        return w.bytes
    }

    /// awsQuery's namespace; JSON-era models of query-compatible services no longer carry it.
    private var queryNamespace: String {
        if let ns = model.metadata.xmlNamespace { return ns }
        switch model.name {
        case "sqs": return "http://queue.amazonaws.com/doc/\(model.metadata.apiVersion)/"
        case "cloudwatch": return "http://monitoring.amazonaws.com/doc/\(model.metadata.apiVersion)/"
        default: return "https://\(model.metadata.endpointPrefix).amazonaws.com/doc/\(model.metadata.apiVersion)/"
        }
    }

    private var jsonContentType: String { "application/x-amz-json-\(model.metadata.jsonVersion ?? "1.0")" }

    private func jsonDocument(_ v: Value, _ s: Shape?) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        JSONShapeCodec(model: model).write(v, s, into: &w)
        return w.bytes
    }

    private func xmlDocument(_ v: Value, _ s: Shape, rootName: String, ns: XMLNamespace?) -> [UInt8] {
        var w = ByteWriter(capacity: 512)
        w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        let writer = XMLShapeWriter(model: model)
        let nsURI = ns?.uri ?? s.xmlNamespace?.uri ?? model.metadata.xmlNamespace ?? defaultXMLNamespace
        writer.open(rootName, nsURI.map { [("xmlns", $0)] }, into: &w)
        writer.writeMembers(v, s, into: &w)
        writer.close(rootName, into: &w)
        return w.bytes
    }

    private var defaultXMLNamespace: String? {
        model.name == "s3" ? "http://s3.amazonaws.com/doc/2006-03-01/" : nil
    }

    /// Member names to wire names and numbers to their modelled kinds, for CBOR output.
    private func toWire(_ v: Value, _ shape: Shape, depth: Int) -> Value {
        guard depth < 100 else { return v }
        switch (shape.kind, v) {
        case (.structure, .object(let o)), (.union, .object(let o)):
            var out: [String: Value] = [:]
            for m in shape.members {
                guard let mv = o[m.name], !mv.isNull, let ms = model.shape(m) else { continue }
                out[m.wireName] = toWire(mv, ms, depth: depth + 1)
            }
            return .object(out)
        case (.list, .list(let l)):
            guard let ms = shape.member.flatMap({ model.shape($0) }) else { return v }
            return .list(l.map { toWire($0, ms, depth: depth + 1) })
        case (.map, .object(let o)):
            guard let vs = shape.value.flatMap({ model.shape($0) }) else { return v }
            return .object(o.mapValues { toWire($0, vs, depth: depth + 1) })
        case (.timestamp, _):
            return JSONShapeCodec.seconds(v).map(Value.timestamp) ?? v
        case (.float, .integer(let i)), (.double, .integer(let i)):
            return .double(Double(i))
        default:
            return v
        }
    }

    // MARK: - Errors

    /// The wire code for an error: handlers throw the model's error shape name (or any AWS
    /// code); query protocols use the shape's `error.code` when the model gives one.
    private func errorShape(_ e: AWSError) -> Shape? {
        model.shape(e.code).flatMap { $0.isException ? $0 : nil }
    }

    package func encodeError(_ e: AWSError, requestId: String) -> AWSResponse {
        let shape = errorShape(e)
        let queryCode = e.queryCode ?? shape?.errorCode ?? e.code
        let status = e.status
        var headers = e.headers
        switch wire {
        case .query:
            var w = ByteWriter(capacity: 256)
            appendErrorResponse(e, code: queryCode, namespace: queryNamespace, requestId: requestId, into: &w)
            headers.append(("Content-Type", "text/xml"))
            return AWSResponse(status: status, headers: headers, body: w.bytes)
        case .ec2:
            var w = ByteWriter(capacity: 256)
            w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>")
            appendCodeAndMessage(e, code: queryCode, extras: false, into: &w)
            w.append("</Error></Errors><RequestID>")
            w.append(requestId)
            w.append("</RequestID></Response>")
            headers.append(("Content-Type", "text/xml;charset=UTF-8"))
            return AWSResponse(status: status, headers: headers, body: w.bytes)
        case .json, .restJson:
            var w = ByteWriter(capacity: 256)
            w.append("{\"__type\":")
            w.appendJSONString(wire == .json ? "com.amazonaws.\(model.metadata.endpointPrefix)#\(e.code)" : e.code)
            w.append(",\"message\":")
            w.appendJSONString(e.message)
            for (k, v) in e.extra.sorted(by: { $0.key < $1.key }) {
                w.append(",")
                w.appendJSONString(k)
                w.append(":")
                JSONShapeCodec.writeGeneric(v, into: &w)
            }
            w.append("}")
            if wire == .restJson { headers.append(("x-amzn-ErrorType", e.code)) }
            if model.metadata.awsQueryCompatible {
                headers.append(("x-amzn-query-error", "\(queryCode);\(e.senderFault ? "Sender" : "Receiver")"))
            }
            headers.append(("Content-Type", wire == .json ? jsonContentType : "application/json"))
            return AWSResponse(status: status, headers: headers, body: w.bytes)
        case .rpcv2Cbor:
            var o: [String: Value] = e.extra
            o["__type"] = .string("com.amazonaws.\(model.metadata.endpointPrefix)#\(e.code)")
            o["message"] = .string(e.message)
            if model.metadata.awsQueryCompatible {
                headers.append(("x-amzn-query-error", "\(queryCode);\(e.senderFault ? "Sender" : "Receiver")"))
            }
            headers.append(("Content-Type", "application/cbor"))
            headers.append(("smithy-protocol", "rpc-v2-cbor"))
            return AWSResponse(status: status, headers: headers, body: CBOREncoder.encode(.object(o)))
        case .restXml:
            var w = ByteWriter(capacity: 256)
            w.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            if model.name == "s3" {
                // S3's errors are a bare <Error> with the request ids inside.
                w.append("<Error>")
                appendCodeAndMessage(e, code: queryCode, extras: true, into: &w)
                w.append("<RequestId>")
                w.append(requestId)
                w.append("</RequestId></Error>")
            } else {
                appendErrorResponse(e, code: queryCode, namespace: model.metadata.xmlNamespace ?? "", requestId: requestId, into: &w)
            }
            headers.append(("Content-Type", "application/xml"))
            return AWSResponse(status: status, headers: headers, body: w.bytes)
        }
    }

    /// `<ErrorResponse><Error><Type/><Code/><Message/>…</Error><RequestId/></ErrorResponse>`,
    /// the error document of awsQuery and of restXml services other than S3.
    private func appendErrorResponse(_ e: AWSError, code: String, namespace: String, requestId: String, into w: inout ByteWriter) {
        w.append("<ErrorResponse xmlns=\"")
        w.append(namespace)
        w.append("\"><Error><Type>")
        w.append(e.senderFault ? "Sender" : "Receiver")
        w.append("</Type>")
        appendCodeAndMessage(e, code: code, extras: true, into: &w)
        w.append("</Error><RequestId>")
        w.append(requestId)
        w.append("</RequestId></ErrorResponse>")
    }

    /// `<Code>…</Code><Message>…</Message>` and the error's extra members: the core of every
    /// XML error document (awsQuery, ec2Query, restXml).
    private func appendCodeAndMessage(_ e: AWSError, code: String, extras: Bool, into w: inout ByteWriter) {
        w.append("<Code>")
        w.appendXMLEscaped(ByteWriter.xmlSafeText(code))
        w.append("</Code><Message>")
        w.appendXMLEscaped(ByteWriter.xmlSafeText(e.message))
        w.append("</Message>")
        if extras { appendXMLExtras(e, into: &w) }
    }

    private func appendXMLExtras(_ e: AWSError, into w: inout ByteWriter) {
        for (k, v) in e.extra.sorted(by: { $0.key < $1.key }) {
            w.append("<")
            w.append(k)
            w.append(">")
            w.appendXMLEscaped(ByteWriter.xmlSafeText(XMLShapeWriter.text(v)))
            w.append("</")
            w.append(k)
            w.append(">")
        }
    }
}
