import Crypto
import Foundation
import SimfraCore
import _CryptoExtras

/// Keys with imported material (Origin EXTERNAL): GetParametersForImport hands out an RSA
/// wrapping key and an import token (valid 24 hours, kept in memory only: a restart asks the
/// client to fetch new parameters, as an expired token would); ImportKeyMaterial unwraps the
/// material with it (RSAES_OAEP_SHA_1/256); DeleteImportedKeyMaterial leaves the key
/// PendingImport.
extension KMSService {
    struct ImportParameters: Sendable {
        var keyArn: String
        var wrappingKeyDER: [UInt8]
        var algorithm: String
        var validTo: Double
    }

    func getParametersForImport(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let algorithm = input.string("WrappingAlgorithm") ?? ""
        let spec = input.string("WrappingKeySpec") ?? "RSA_2048"
        guard ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"].contains(algorithm) else {
            throw KMSError.unsupported("Simfra supports the wrapping algorithms RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256, not \(algorithm).")
        }
        guard let bits = Int(spec.dropFirst(4)), spec.hasPrefix("RSA_") else {
            throw KMSError.unsupported("Wrapping key spec \(spec) is not supported.")
        }
        let wrapping = try _RSA.Encryption.PrivateKey(keySize: .init(bitCount: bits))
        let publicDER = Array(wrapping.publicKey.derRepresentation)
        let now = clock.now()
        let token = KMSIdentifiers.randomBytes(32)
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let key = st.keys[ref]!
            guard key.origin == "EXTERNAL" else {
                throw KMSError.unsupported("\(key.arn) origin is \(key.origin) which is not valid for this operation.")
            }
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            let validTo = now + 86400
            importTokens.withLock {
                $0 = $0.filter { $0.value.validTo > now }
                $0[token] = ImportParameters(keyArn: key.arn, wrappingKeyDER: Array(wrapping.derRepresentation),
                                             algorithm: algorithm, validTo: validTo)
            }
            return [
                "KeyId": .string(key.arn), "ImportToken": .blob(token), "PublicKey": .blob(publicDER),
                "ParametersValidTo": .timestamp(validTo),
            ]
        }
    }

    func importKeyMaterial(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let token = input.blob("ImportToken") ?? []
        let expiration = input.string("ExpirationModel") ?? "KEY_MATERIAL_EXPIRES"
        let validTo = input["ValidTo"].flatMap { v -> Double? in if case .timestamp(let t) = v { return t } else { return v.doubleValue } }
        if expiration == "KEY_MATERIAL_EXPIRES", validTo == nil {
            throw KMSError.validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        }
        if expiration == "KEY_MATERIAL_DOES_NOT_EXPIRE", validTo != nil {
            throw KMSError.validation("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
        }
        let now = clock.now()
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            guard key.origin == "EXTERNAL" else {
                throw KMSError.unsupported("\(key.arn) origin is \(key.origin) which is not valid for this operation.")
            }
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            guard let params = importTokens.withLock({ $0[token] }), params.keyArn == key.arn, params.validTo > now else {
                throw KMSError.invalidImportToken()
            }
            guard let wrapping = try? _RSA.Encryption.PrivateKey(derRepresentation: params.wrappingKeyDER),
                let material = try? wrapping.decrypt(input.blob("EncryptedKeyMaterial") ?? [],
                                                     padding: params.algorithm == "RSAES_OAEP_SHA_1" ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256)
            else {
                throw KMSError.make("UnsupportedOperationException", "Key material could not be unwrapped with the import parameters.")
            }
            let bytes = Array(material)
            try Self.checkImportedMaterial(bytes, key)
            // Reimporting must bring back the same material (AWS: IncorrectKeyMaterialException).
            if let old = key.materials.first, !old.bytes.isEmpty, old.bytes != bytes {
                throw KMSError.make("IncorrectKeyMaterialException", "The key material in the request is, expired, invalid, or is not the same key material that was previously imported into this customer master key (CMK).")
            }
            let m = KeyMaterial(id: key.materials.first?.id ?? KMSIdentifiers.hex(64), bytes: bytes, created: now,
                                expirationModel: expiration, validTo: validTo)
            key.materials = [m]
            if key.state == .pendingImport { key.state = .enabled }
            st.keys[ref] = key
            importTokens.withLock { _ = $0.removeValue(forKey: token) }
            writes.append(keyWrite(key))
            return ["KeyId": .string(key.arn), "KeyMaterialId": .string(m.id)]
        }
    }

    /// Imported material must fit the key spec: 32 bytes for a symmetric key, the HMAC key
    /// sizes, or a DER private key of the right kind.
    static func checkImportedMaterial(_ bytes: [UInt8], _ key: KMSKey) throws {
        let ok: Bool
        switch key.keySpec {
        case "SYMMETRIC_DEFAULT": ok = bytes.count == 32
        case "HMAC_224": ok = (28...64).contains(bytes.count)
        case "HMAC_256": ok = (32...64).contains(bytes.count)
        case "HMAC_384": ok = (48...128).contains(bytes.count)
        case "HMAC_512": ok = (64...128).contains(bytes.count)
        default: ok = (try? Signing.publicKeyDER(privateKeyDER: bytes, spec: key.keySpec)) != nil
        }
        if !ok {
            throw KMSError.make("IncorrectKeyMaterialException", "The key material in the request is, expired, invalid, or is not the same key material that was previously imported into this customer master key (CMK).")
        }
    }

    func deleteImportedKeyMaterial(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            guard key.origin == "EXTERNAL" else {
                throw KMSError.unsupported("\(key.arn) origin is \(key.origin) which is not valid for this operation.")
            }
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            let id = key.materials.last?.id
            key.materials = key.materials.map { var m = $0; m.bytes = []; return m }
            if key.state != .pendingDeletion { key.state = .pendingImport }
            st.keys[ref] = key
            writes.append(keyWrite(key))
            var out: [String: Value] = ["KeyId": .string(key.arn)]
            if let id { out["KeyMaterialId"] = .string(id) }
            return .object(out)
        }
    }
}
