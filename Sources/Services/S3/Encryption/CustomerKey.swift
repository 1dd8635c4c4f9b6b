import Crypto
import SimfraCore

/// An SSE-C key as a request presents it (`x-amz-server-side-encryption-customer-*`, or the
/// `…-copy-source-…` headers for a copy's source), checked against its MD5.
struct CustomerKey: Sendable {
    var key: [UInt8]
    /// Base64 MD5 of the key, as sent.
    var keyMD5: String

    /// The SSE-C key of a request, nil when it has none. `prefix` is `CopySource` for a copy
    /// source's key. `reading` selects S3's answer to a missing MD5: on a write the key is
    /// "invalid", on a read S3 answers AccessDenied (recorded behaviour).
    static func parse(_ input: Value, prefix: String = "", reading: Bool = false) throws(AWSError) -> CustomerKey? {
        let alg = input.str(prefix + "SSECustomerAlgorithm")
        let key = input.str(prefix + "SSECustomerKey")
        let md5 = input.str(prefix + "SSECustomerKeyMD5")
        if alg == nil && key == nil && md5 == nil { return nil }
        guard let alg else {
            throw argument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.")
        }
        guard alg == "AES256" else {
            throw AWSError(code: "InvalidEncryptionAlgorithmError",
                           message: "The Encryption request you specified is not valid. Supported value: AES256.", status: 400,
                           extra: ["ArgumentName": "x-amz-server-side-encryption", "ArgumentValue": .string(alg)])
        }
        guard let key else {
            throw argument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
        }
        guard let raw = Base64.decode(key), raw.count == 32 else {
            throw argument("The secret key was invalid for the specified algorithm.")
        }
        guard let md5 else {
            if reading { throw wrongKey() }
            throw argument("The secret key was invalid for the specified algorithm.")
        }
        guard Base64.decode(md5) == Array(Insecure.MD5.hash(data: raw)) else {
            throw argument("The calculated MD5 hash of the key did not match the hash that was provided.")
        }
        return CustomerKey(key: raw, keyMD5: md5)
    }

    /// What the object keeps to recognise this key later: a salted HMAC, never the key.
    func check() -> CustomerKeyCheck {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return CustomerKeyCheck(keyMD5: keyMD5, salt: salt, digest: digest(salt: salt))
    }

    func digest(salt: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: key, using: SymmetricKey(data: salt)))
    }

    /// Whether this is the key an object was written with (constant-time compare).
    func matches(_ c: CustomerKeyCheck) -> Bool {
        let d = digest(salt: c.salt)
        guard d.count == c.digest.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<d.count { diff |= d[i] ^ c.digest[i] }
        return diff == 0
    }

    /// Reading an object: the SSE-C key presented must be the one it was written with; an
    /// object without SSE-C must not be given one.
    static func verify(_ presented: CustomerKey?, for stored: CustomerKeyCheck?) throws(AWSError) {
        switch (presented, stored) {
        case (nil, nil): return
        case (nil, .some):
            throw S3Errors.invalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        case (.some, nil):
            throw S3Errors.invalidRequest("The encryption parameters are not applicable to this object.")
        case (.some(let k), .some(let c)):
            if !k.matches(c) { throw wrongKey() }
        }
    }

    static func wrongKey() -> AWSError {
        AWSError(code: "AccessDenied",
                 message: "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
                 status: 403)
    }

    static func argument(_ message: String) -> AWSError {
        AWSError(code: "InvalidArgument", message: message, status: 400,
                 extra: ["ArgumentName": "x-amz-server-side-encryption"])
    }
}
