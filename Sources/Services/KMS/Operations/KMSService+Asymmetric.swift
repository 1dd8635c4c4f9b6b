import SimfraCore

/// Sign, Verify, GenerateMac, VerifyMac, GetPublicKey, GenerateDataKeyPair(WithoutPlaintext).
extension KMSService {
    func sign(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let message = input.blob("Message") ?? []
        let algorithmName = input.string("SigningAlgorithm") ?? ""
        let messageType = input.string("MessageType") ?? "RAW"
        let key = try await mutate { st, writes in
            try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "SIGN_VERIFY", operation: "Sign")
        }
        if key.keySpec == "ECC_NIST_EDWARDS25519" {
            let signature = try Self.ed25519(algorithmName, messageType, key) {
                try Signing.signEd25519(message, seed: key.current!.bytes)
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            return ["KeyId": .string(key.arn), "Signature": .blob(signature), "SigningAlgorithm": .string(algorithmName)]
        }
        // Signing (RSA_4096: milliseconds) runs outside the lock.
        let algorithm = try Self.signingAlgorithm(algorithmName, key)
        let digest = try Signing.digestBytes(message, messageType: messageType, algorithmName: algorithmName, hash: algorithm.hash)
        let signature = try Signing.sign(digest, privateKeyDER: key.current!.bytes, spec: key.keySpec, algorithm: algorithm)
        if input.bool("DryRun") == true { throw KMSError.dryRun() }
        return ["KeyId": .string(key.arn), "Signature": .blob(signature), "SigningAlgorithm": .string(algorithmName)]
    }

    func verify(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let message = input.blob("Message") ?? []
        let algorithmName = input.string("SigningAlgorithm") ?? ""
        let messageType = input.string("MessageType") ?? "RAW"
        let key = try await mutate { st, writes in
            try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "SIGN_VERIFY", operation: "Verify")
        }
        if key.keySpec == "ECC_NIST_EDWARDS25519" {
            let valid = try Self.ed25519(algorithmName, messageType, key) {
                Signing.verifyEd25519(input.blob("Signature") ?? [], message: message, seed: key.current!.bytes)
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            guard valid else { throw KMSError.invalidSignature() }
            return ["KeyId": .string(key.arn), "SignatureValid": true, "SigningAlgorithm": .string(algorithmName)]
        }
        let algorithm = try Self.signingAlgorithm(algorithmName, key)
        let digest = try Signing.digestBytes(message, messageType: messageType, algorithmName: algorithmName, hash: algorithm.hash)
        let valid = Signing.verify(input.blob("Signature") ?? [], digest: digest, privateKeyDER: key.current!.bytes,
                                   spec: key.keySpec, algorithm: algorithm)
        if input.bool("DryRun") == true { throw KMSError.dryRun() }
        // KMS answers an invalid signature with an error, never SignatureValid false.
        guard valid else { throw KMSError.invalidSignature() }
        return ["KeyId": .string(key.arn), "SignatureValid": true, "SigningAlgorithm": .string(algorithmName)]
    }

    /// Ed25519 keys sign RAW messages with ED25519_SHA_512; Ed25519ph is not available.
    static func ed25519<T>(_ name: String, _ messageType: String, _ key: KMSKey, _ body: () throws -> T) throws -> T {
        guard key.signingAlgorithms?.contains(name) == true else {
            throw KMSError.invalidKeyUsage("Algorithm \(name) is incompatible with key spec \(key.keySpec).")
        }
        guard name == "ED25519_SHA_512" else {
            throw KMSError.unsupported("Simfra does not support \(name) (Ed25519ph); use ED25519_SHA_512.")
        }
        guard messageType == "RAW" else {
            throw KMSError.validation("ED25519_SHA_512 signs RAW messages only; MessageType \(messageType) is not valid.")
        }
        return try body()
    }

    static func signingAlgorithm(_ name: String, _ key: KMSKey) throws -> Signing.Algorithm {
        guard key.signingAlgorithms?.contains(name) == true, let a = Signing.algorithm(name) else {
            throw KMSError.invalidKeyUsage("Algorithm \(name) is incompatible with key spec \(key.keySpec).")
        }
        return a
    }

    func generateMac(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let algorithm = input.string("MacAlgorithm") ?? ""
        return try await mutate { st, writes in
            let key = try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "GENERATE_VERIFY_MAC", operation: "GenerateMac")
            guard key.macAlgorithms?.contains(algorithm) == true,
                let mac = MAC.compute(algorithm, key: key.current!.bytes, message: input.blob("Message") ?? [])
            else {
                throw KMSError.invalidKeyUsage("Algorithm \(algorithm) is incompatible with key spec \(key.keySpec).")
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            return ["KeyId": .string(key.arn), "Mac": .blob(mac), "MacAlgorithm": .string(algorithm)]
        }
    }

    func verifyMac(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let algorithm = input.string("MacAlgorithm") ?? ""
        return try await mutate { st, writes in
            let key = try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "GENERATE_VERIFY_MAC", operation: "VerifyMac")
            guard key.macAlgorithms?.contains(algorithm) == true else {
                throw KMSError.invalidKeyUsage("Algorithm \(algorithm) is incompatible with key spec \(key.keySpec).")
            }
            let message = input.blob("Message") ?? []
            let given = input.blob("Mac") ?? []
            // Any material version the key has had verifies (rotation of HMAC keys is on demand only).
            let valid = key.materials.contains { m in
                !m.bytes.isEmpty && MAC.compute(algorithm, key: m.bytes, message: message).map { MAC.equal($0, given) } == true
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            guard valid else { throw KMSError.invalidMac() }
            return ["KeyId": .string(key.arn), "MacValid": true, "MacAlgorithm": .string(algorithm)]
        }
    }

    func getPublicKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let key = st.keys[ref]!
            try checkUsable(key)
            guard !key.isSymmetric, !key.keySpec.hasPrefix("HMAC_") else {
                throw KMSError.unsupported("\(key.arn) key usage is \(key.keyUsage) and key spec is \(key.keySpec), which has no public key.")
            }
            var out: [String: Value] = [
                "KeyId": .string(key.arn), "KeySpec": .string(key.keySpec), "CustomerMasterKeySpec": .string(key.keySpec),
                "KeyUsage": .string(key.keyUsage),
                "PublicKey": .blob(try Signing.publicKeyDER(privateKeyDER: key.current!.bytes, spec: key.keySpec)),
            ]
            if let a = key.encryptionAlgorithms { out["EncryptionAlgorithms"] = .list(a.map(Value.string)) }
            if let a = key.signingAlgorithms { out["SigningAlgorithms"] = .list(a.map(Value.string)) }
            if key.keyUsage == "KEY_AGREEMENT" { out["KeyAgreementAlgorithms"] = ["ECDH"] }
            return .object(out)
        }
    }

    func generateDataKeyPair(_ input: Value, _ ctx: RequestContext, withPlaintext: Bool) async throws -> Value {
        let spec = input.string("KeyPairSpec") ?? ""
        let context = input.stringMap("EncryptionContext") ?? [:]
        let operation = withPlaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext"
        // Generated before taking the lock: an RSA_4096 pair takes a while.
        let pair = try Signing.dataKeyPair(spec: spec)
        return try await mutate { st, writes in
            let key = try usableKey(&st, input.string("KeyId") ?? "", ctx, &writes, usage: "ENCRYPT_DECRYPT", operation: operation)
            guard key.isSymmetric else {
                throw KMSError.invalidKeyUsage(key.arn, usage: key.keyUsage, operation: operation)
            }
            let sealed = try seal(pair.privateKey, key: key, algorithm: nil, context: context)
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            var out: [String: Value] = [
                "KeyId": .string(key.arn), "KeyPairSpec": .string(spec), "PrivateKeyCiphertextBlob": .blob(sealed.blob),
                "PublicKey": .blob(pair.publicKey), "KeyMaterialId": .string(sealed.materialId),
            ]
            if withPlaintext { out["PrivateKeyPlaintext"] = .blob(pair.privateKey) }
            return .object(out)
        }
    }
}
