import Foundation
import Synchronization

/// One service's API model, indexed lazily from the compact text scripts/gen_models.py
/// generates. Building the index is one pass over the bytes; a shape's JSON is decoded the
/// first time something asks for it and cached.
package final class ServiceModel: Sendable {
    package let name: String
    package let metadata: Metadata
    private let text: StaticString
    /// Operation/shape name -> byte range of its JSON in `text`.
    private let opRanges: [String: Range<Int>]
    private let shapeRanges: [String: Range<Int>]
    private let cache = Mutex<(ops: [String: Operation], shapes: [String: Shape])>(([:], [:]))

    package struct Metadata: Sendable {
        package let apiVersion: String
        package let endpointPrefix: String
        package let signingName: String
        package let protocolName: String
        package let protocols: [String]
        package let jsonVersion: String?
        package let targetPrefix: String?
        package let xmlNamespace: String?
        package let awsQueryCompatible: Bool
        package let globalEndpoint: String?
        package let serviceId: String
    }

    init(name: String, text: StaticString) {
        self.name = name
        self.text = text
        var ops: [String: Range<Int>] = [:]
        var shapes: [String: Range<Int>] = [:]
        var meta: [String: Any] = [:]
        text.withUTF8Buffer { buf in
            let n = buf.count
            var i = 0
            while i < n {
                var end = i
                while end < n && buf[end] != 0x0A { end += 1 }
                // Line: K \t [name \t] json
                let kind = buf[i]
                if kind == UInt8(ascii: "M") {
                    let r = (i + 2)..<end
                    meta = (try? JSONSerialization.jsonObject(
                        with: Data(UnsafeBufferPointer(rebasing: buf[r])))) as? [String: Any] ?? [:]
                } else {
                    var tab = i + 2
                    while tab < end && buf[tab] != 0x09 { tab += 1 }
                    let name = String(decoding: UnsafeBufferPointer(rebasing: buf[(i + 2)..<tab]), as: UTF8.self)
                    if kind == UInt8(ascii: "O") { ops[name] = (tab + 1)..<end } else { shapes[name] = (tab + 1)..<end }
                }
                i = end + 1
            }
        }
        opRanges = ops
        shapeRanges = shapes
        let protocols = meta["protocols"] as? [String] ?? [meta["protocol"] as? String ?? "json"]
        metadata = Metadata(
            apiVersion: meta["apiVersion"] as? String ?? "",
            endpointPrefix: meta["endpointPrefix"] as? String ?? name,
            signingName: meta["signingName"] as? String ?? meta["endpointPrefix"] as? String ?? name,
            protocolName: meta["protocol"] as? String ?? "json",
            protocols: protocols,
            jsonVersion: meta["jsonVersion"] as? String,
            targetPrefix: meta["targetPrefix"] as? String,
            xmlNamespace: meta["xmlNamespace"] as? String,
            awsQueryCompatible: meta["awsQueryCompatible"] != nil,
            globalEndpoint: meta["globalEndpoint"] as? String,
            serviceId: meta["serviceId"] as? String ?? name)
    }

    package var operationNames: [String] { opRanges.keys.sorted() }
    package var shapeCount: Int { shapeRanges.count }

    private func json(_ r: Range<Int>) -> [String: Any] {
        text.withUTF8Buffer { buf in
            (try? JSONSerialization.jsonObject(
                with: Data(UnsafeBufferPointer(rebasing: buf[r])))) as? [String: Any] ?? [:]
        }
    }

    package func operation(_ name: String) -> Operation? {
        if let op = cache.withLock({ $0.ops[name] }) { return op }
        guard let r = opRanges[name] else { return nil }
        let op = Operation(name: name, json: json(r))
        cache.withLock { $0.ops[name] = op }
        return op
    }

    /// A member's target shape (cached in the member).
    package func shape(_ ref: Member) -> Shape? { ref.targetShape(in: self) }

    package func shape(_ name: String) -> Shape? {
        if let s = cache.withLock({ $0.shapes[name] }) { return s }
        guard let r = shapeRanges[name] else { return nil }
        let s = Shape(name: name, json: json(r))
        cache.withLock { $0.shapes[name] = s }
        return s
    }

    /// Every operation, decoded (for REST routing tables and listings).
    package func allOperations() -> [Operation] {
        operationNames.compactMap(operation)
    }
}

/// One operation: its HTTP binding, input/output references and error shapes.
package struct Operation: Sendable {
    package let name: String
    package let method: String
    package let requestUri: String
    package let responseCode: Int
    package let input: Member?
    package let output: Member?
    package let errors: [String]
    package let httpChecksumRequired: Bool
    package let requestChecksumRequired: Bool
    package let hostPrefix: String?
    package let unsignedPayload: Bool
    /// Superseded operations (S3's PutBucketLifecycle) lose route ties to their successors.
    package let deprecated: Bool

    init(name: String, json: [String: Any]) {
        self.name = name
        let http = json["http"] as? [String: Any] ?? [:]
        method = http["method"] as? String ?? "POST"
        requestUri = http["requestUri"] as? String ?? "/"
        responseCode = number(http["responseCode"]).map { Int($0) } ?? 200
        input = (json["input"] as? [String: Any]).map { Member(name: "input", json: $0) }
        output = (json["output"] as? [String: Any]).map { Member(name: "output", json: $0) }
        errors = json["errors"] as? [String] ?? []
        httpChecksumRequired = json["httpChecksumRequired"] as? Bool ?? false
        requestChecksumRequired = (json["httpChecksum"] as? [String: Any])?["requestChecksumRequired"] as? Bool ?? false
        hostPrefix = (json["endpoint"] as? [String: Any])?["hostPrefix"] as? String
        unsignedPayload = json["unsignedPayload"] as? Bool ?? false
        deprecated = json["deprecated"] as? Bool ?? false
    }
}
