import Crypto
import SimfraCore

/// Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.
extension KMSService {
    /// What an encryption under a key produced.
    struct Sealed: Sendable {
        var blob: [UInt8]
        var keyArn: String
        var materialId: String
        var algorithm: String
    }

    /// Encrypts under a usable ENCRYPT_DECRYPT key (checked by the caller).
    func seal(_ plaintext: [UInt8], key: KMSKey, algorithm: String?, context: [String: String]) throws -> Sealed {
        let algorithm = algorithm ?? (key.isSymmetric ? "SYMMETRIC_DEFAULT" : "")
        guard key.encryptionAlgorithms?.contains(algorithm) == true else {
            throw KMSError.invalidKeyUsage("Algorithm \(algorithm.isEmpty ? "null" : algorithm) is incompatible with key spec \(key.keySpec).")
        }
        guard let material = key.current, !material.bytes.isEmpty else { throw KMSError.pendingImport(key.arn) }
        if key.isSymmetric {
            let blob = try CiphertextBlob.seal(plaintext, key: material.bytes, account: key.ref.account, keyId: key.keyId,
                                               materialIndex: key.currentIndex, context: context)
            return Sealed(blob: blob.bytes, keyArn: key.arn, materialId: material.id, algorithm: algorithm)
        }
        let blob = try AsymmetricCrypto.encrypt(plaintext, privateKeyDER: material.bytes, spec: key.keySpec, algorithm: algorithm)
        return Sealed(blob: blob, keyArn: key.arn, materialId: material.id, algorithm: algorithm)
    }

    /// What a decryption found.
    struct Opened: Sendable {
        var plaintext: [UInt8]
        var keyArn: String
        var materialId: String
        var algorithm: String
    }

    /// Decrypts a blob: symmetric blobs name their key; asymmetric ciphertexts need `keyId`.
    /// A KeyId naming another key than the blob's is `IncorrectKeyException`.
    func open(_ st: inout KMSState, _ blobBytes: [UInt8], keyId: String?, algorithm: String?, context: [String: String],
              _ ctx: RequestContext, _ writes: inout [DurableWrite], operation: String) throws -> Opened
    {
        var named: KMSKey?
        if let keyId {
            let ref = try resolve(&st, keyId, ctx, &writes)
            named = st.keys[ref]!
        }
        if let key = named, !key.isSymmetric {
            try checkUsable(key)
            guard key.keyUsage == "ENCRYPT_DECRYPT" else {
                throw KMSError.invalidKeyUsage(key.arn, usage: key.keyUsage, operation: operation)
            }
            guard let algorithm, key.encryptionAlgorithms?.contains(algorithm) == true else {
                throw KMSError.invalidKeyUsage("Algorithm \(algorithm ?? "SYMMETRIC_DEFAULT") is incompatible with key spec \(key.keySpec).")
            }
            // RSA ciphertexts carry no version: try the current material first, then older ones.
            for m in key.materials.reversed() where !m.bytes.isEmpty {
                if let p = AsymmetricCrypto.decrypt(blobBytes, privateKeyDER: m.bytes, spec: key.keySpec, algorithm: algorithm) {
                    return Opened(plaintext: p, keyArn: key.arn, materialId: m.id, algorithm: algorithm)
                }
            }
            throw KMSError.invalidCiphertext()
        }
        if let algorithm, algorithm != "SYMMETRIC_DEFAULT" {
            if let key = named { throw KMSError.invalidKeyUsage("Algorithm \(algorithm) is incompatible with key spec \(key.keySpec).") }
            throw KMSError.invalidCiphertext()
        }
        guard let blob = CiphertextBlob(parsing: blobBytes) else {
            if named != nil { throw KMSError.incorrectKey() }
            throw KMSError.invalidCiphertext()
        }
        let ref = KeyRef(account: blob.account, region: ctx.region, keyId: blob.keyId)
        if let key = named, key.ref != ref { throw KMSError.incorrectKey() }
        guard let key = st.keys[ref] else { throw KMSError.invalidCiphertext() }
        try checkUsable(key)
        guard key.keyUsage == "ENCRYPT_DECRYPT", key.isSymmetric else {
            throw KMSError.invalidKeyUsage(key.arn, usage: key.keyUsage, operation: operation)
        }
        let index = Int(blob.materialIndex)
        guard index < key.materials.count, !key.materials[index].bytes.isEmpty,
            let plain = blob.open(key: key.materials[index].bytes, context: context)
        else { throw KMSError.invalidCiphertext() }
        return Opened(plaintext: plain, keyArn: key.arn, materialId: key.materials[index].id, algorithm: "SYMMETRIC_DEFAULT")
    }

    /// The key a symmetric blob names, for the authoriser (nil when it is not one of ours).
    static func blobKeyArn(_ bytes: [UInt8]?, _ ctx: RequestContext) -> String? {
        guard let bytes, let blob = CiphertextBlob(parsing: bytes) else { return nil }
        return KeyRef(account: blob.account, region: ctx.region, keyId: blob.keyId).arn
    }

    func encrypt(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let plaintext = input.blob("Plaintext") ?? []
        let context = input.stringMap("EncryptionContext") ?? [:]
        return try await mutate { st, writes in
            let key = try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "ENCRYPT_DECRYPT", operation: "Encrypt")
            if !key.isSymmetric, let alg = input.string("EncryptionAlgorithm"),
                let limit = AsymmetricCrypto.maxPlaintext(spec: key.keySpec, algorithm: alg), plaintext.count > limit
            {
                throw KMSError.validation("Algorithm \(alg) and key spec \(key.keySpec) cannot encrypt data larger than \(limit) bytes.")
            }
            let sealed = try seal(plaintext, key: key, algorithm: input.string("EncryptionAlgorithm"), context: context)
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            return [
                "CiphertextBlob": .blob(sealed.blob), "KeyId": .string(sealed.keyArn),
                "EncryptionAlgorithm": .string(sealed.algorithm),
            ]
        }
    }

    func decrypt(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let opened = try open(
                &st, input.blob("CiphertextBlob") ?? [], keyId: input.string("KeyId"),
                algorithm: input.string("EncryptionAlgorithm"), context: input.stringMap("EncryptionContext") ?? [:], ctx,
                &writes, operation: "Decrypt")
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            return [
                "Plaintext": .blob(opened.plaintext), "KeyId": .string(opened.keyArn),
                "EncryptionAlgorithm": .string(opened.algorithm), "KeyMaterialId": .string(opened.materialId),
            ]
        }
    }

    func reEncrypt(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let opened = try open(
                &st, input.blob("CiphertextBlob") ?? [], keyId: input.string("SourceKeyId"),
                algorithm: input.string("SourceEncryptionAlgorithm"),
                context: input.stringMap("SourceEncryptionContext") ?? [:], ctx, &writes, operation: "ReEncrypt")
            let dest = try usableKey(&st, input.string("DestinationKeyId") ?? "", ctx, &writes, usage: "ENCRYPT_DECRYPT",
                                     operation: "ReEncrypt")
            let sealed = try seal(opened.plaintext, key: dest, algorithm: input.string("DestinationEncryptionAlgorithm"),
                                  context: input.stringMap("DestinationEncryptionContext") ?? [:])
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            return [
                "CiphertextBlob": .blob(sealed.blob), "SourceKeyId": .string(opened.keyArn), "KeyId": .string(sealed.keyArn),
                "SourceEncryptionAlgorithm": .string(opened.algorithm),
                "DestinationEncryptionAlgorithm": .string(sealed.algorithm),
                "SourceKeyMaterialId": .string(opened.materialId), "DestinationKeyMaterialId": .string(sealed.materialId),
            ]
        }
    }

    /// The number of bytes a data key request asks for: `KeySpec` (AES_128/AES_256) or
    /// `NumberOfBytes`, exactly one of them.
    static func dataKeyLength(_ input: Value) throws -> Int {
        let spec = input.string("KeySpec"), n = input.int("NumberOfBytes")
        if let spec, n == nil { return spec == "AES_128" ? 16 : 32 }
        if let n, spec == nil { return n }
        throw KMSError.validation("Please specify either number of bytes or key spec.")
    }

    func generateDataKey(_ input: Value, _ ctx: RequestContext, withPlaintext: Bool) async throws -> Value {
        let length = try Self.dataKeyLength(input)
        let context = input.stringMap("EncryptionContext") ?? [:]
        let operation = withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext"
        return try await mutate { st, writes in
            let key = try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "ENCRYPT_DECRYPT", operation: operation)
            guard key.isSymmetric else {
                throw KMSError.invalidKeyUsage(key.arn, usage: key.keyUsage, operation: operation)
            }
            let plaintext = KMSIdentifiers.randomBytes(length)
            let sealed = try seal(plaintext, key: key, algorithm: nil, context: context)
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            var out: [String: Value] = [
                "CiphertextBlob": .blob(sealed.blob), "KeyId": .string(sealed.keyArn), "KeyMaterialId": .string(sealed.materialId),
            ]
            if withPlaintext { out["Plaintext"] = .blob(plaintext) }
            return .object(out)
        }
    }

    func generateRandom(_ input: Value, _ ctx: RequestContext) throws -> Value {
        guard let n = input.int("NumberOfBytes") else { throw KMSError.validation("NumberOfBytes is required.") }
        if input.string("CustomKeyStoreId") != nil {
            throw KMSError.make("CustomKeyStoreNotFoundException", "Custom key store not found.")
        }
        return ["Plaintext": .blob(KMSIdentifiers.randomBytes(n))]
    }
}
