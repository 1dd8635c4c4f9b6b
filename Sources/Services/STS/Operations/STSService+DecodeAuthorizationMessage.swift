import SimfraCore

extension STSService {
    /// Encodes a denial's details for an AccessDenied message; the authoriser calls this so
    /// `DecodeAuthorizationMessage` can reveal them later.
    package static func encodeAuthorizationMessage(_ message: AuthorizationMessage) -> String {
        message.encoded
    }

    func decodeAuthorizationMessage(_ input: Value, context: RequestContext) throws -> Value {
        let encoded = input["EncodedMessage"]?.stringValue ?? ""
        guard let json = AuthorizationMessage.decodedJSON(encoded) else {
            throw AWSError(code: "InvalidAuthorizationMessageException", message: "Message is not valid", status: 400)
        }
        return ["DecodedMessage": .string(json)]
    }
}
