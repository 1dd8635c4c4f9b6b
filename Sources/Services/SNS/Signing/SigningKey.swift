import Crypto
import Foundation
import SimfraCore
import _CryptoExtras

/// One region's SNS signing identity: an RSA-2048 key and the self-signed certificate that
/// `SigningCertURL` serves, so a subscriber can verify `Signature` exactly as against AWS.
/// AWS names the certificate `SimpleNotificationService-<id>.pem`; `keyId` is that id.
struct SigningKey: Sendable {
    let region: String
    let privateKey: _RSA.Signing.PrivateKey
    let certificateDER: [UInt8]
    let keyId: String

    var certificatePEM: String { DER.pem(certificateDER, label: "CERTIFICATE") }
    var certificateFileName: String { "SimpleNotificationService-\(keyId).pem" }

    init(region: String, privateKey: _RSA.Signing.PrivateKey) throws {
        self.region = region
        self.privateKey = privateKey
        let spki = Array(privateKey.publicKey.derRepresentation)
        keyId = String(Hex.encode(SHA256.hash(data: spki)).prefix(32))
        certificateDER = try Self.selfSigned(privateKey, spki: spki, commonName: "sns.\(region).amazonaws.com",
                                             serial: Array(SHA256.hash(data: spki).prefix(16)))
    }

    static func generate(region: String) throws -> SigningKey {
        try SigningKey(region: region, privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA (the topic's `SignatureVersion`).
    func sign(_ canonical: String, version: String) -> String {
        let data = Array(canonical.utf8)
        let signature = version == "2"
            ? try? privateKey.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
            : try? privateKey.signature(for: Insecure.SHA1.hash(data: data), padding: .insecurePKCS1v1_5)
        return Base64.encode(Array(signature?.rawRepresentation ?? Data()))
    }

    /// The string AWS signs: each present member's name and value, each on its own line, in
    /// this order (the SNS developer guide, "Verifying the signatures of Amazon SNS messages").
    static func canonical(_ members: [String: String], type: String) -> String {
        let order = type == "Notification"
            ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        var out = ""
        for name in order {
            guard let value = members[name] else { continue }
            out += name + "\n" + value + "\n"
        }
        return out
    }

    /// A v3 certificate, issuer = subject, valid 2025–2049, signed SHA256withRSA by its own key.
    private static func selfSigned(_ key: _RSA.Signing.PrivateKey, spki: [UInt8], commonName: String,
                                   serial: [UInt8]) throws -> [UInt8]
    {
        let sha256WithRSA = DER.sequence([DER.oid([1, 2, 840, 113549, 1, 1, 11]), DER.null])
        let name = DER.sequence([DER.set([DER.sequence([DER.oid([2, 5, 4, 3]), DER.utf8(commonName)])])])
        let tbs = DER.sequence([
            DER.explicit(0, DER.integer([2])),
            DER.integer(serial),
            sha256WithRSA,
            name,
            DER.sequence([DER.utcTime("250101000000Z"), DER.utcTime("491231235959Z")]),
            name,
            spki,
        ])
        let signature = try key.signature(for: SHA256.hash(data: tbs), padding: .insecurePKCS1v1_5)
        return DER.sequence([tbs, sha256WithRSA, DER.bitString(Array(signature.rawRepresentation))])
    }

    // MARK: Record

    static let kind = "signingkey"
    /// Signing keys belong to SNS, not to any account: the record lives under this account
    /// field, which no account removal touches.
    static let recordAccount = "aws"

    /// `{"v":1,"key":"<base64 of the sealed PKCS#1 DER>"}`; the id is the region.
    func encode(_ records: any DurableRecords) -> [UInt8] {
        let sealed = records.seal(Array(privateKey.derRepresentation), aad: Self.aad(region))
        let doc: [String: Any] = ["v": 1, "key": Base64.encode(sealed)]
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord, _ records: any DurableRecords) throws -> SigningKey {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any],
            let b64 = doc["key"] as? String, let sealed = Data(base64Encoded: b64)
        else { throw TopicRecord.DecodeError(description: "SNS signing key record for \(r.region) is unreadable") }
        let der = try records.unseal(Array(sealed), aad: aad(r.region))
        return try SigningKey(region: r.region, privateKey: _RSA.Signing.PrivateKey(derRepresentation: der))
    }

    static func aad(_ region: String) -> String { "sns/\(kind)/\(region)/key" }
}
