import SimfraModels

/// The AWS wire protocols, as botocore names them in a model's metadata.
package enum WireProtocol: String, Sendable, CaseIterable {
    case query
    case ec2
    case json
    case restJson = "rest-json"
    case restXml = "rest-xml"
    case rpcv2Cbor = "smithy-rpc-v2-cbor"

    /// The protocols a model declares, in its order of preference.
    package static func supported(by model: ServiceModel) -> [WireProtocol] {
        var list = model.metadata.protocols.compactMap(WireProtocol.init(rawValue:))
        if list.isEmpty { list = [WireProtocol(rawValue: model.metadata.protocolName) ?? .json] }
        // Services that moved from awsQuery to JSON (SQS) still answer older SDKs' awsQuery.
        if model.metadata.awsQueryCompatible && !list.contains(.query) { list.append(.query) }
        return list
    }

    /// Which of a service's protocols this request speaks. Services with several (SQS: json
    /// and query; CloudWatch: cbor, json and query) are told apart by the request itself.
    package static func detect(_ request: AWSRequest, model: ServiceModel) -> WireProtocol {
        let supported = supported(by: model)
        if supported.count == 1 { return supported[0] }
        if supported.contains(.rpcv2Cbor), request.header("smithy-protocol") == "rpc-v2-cbor" { return .rpcv2Cbor }
        if supported.contains(.json), request.header("x-amz-target") != nil { return .json }
        if supported.contains(.query) { return .query }
        return supported[0]
    }

    package var isRest: Bool { self == .restJson || self == .restXml }
}
