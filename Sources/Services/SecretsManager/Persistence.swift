import Foundation
import SimfraCore

/// A secret's durable record (kind `secret`, id = name, region = the secret's region): its
/// metadata and every version as JSON. Each version's encrypted value and encrypted data key
/// are additionally sealed under the data dir's key (aad naming the secret, version and
/// field), so the data dir holds nothing readable about a value, not even KMS ciphertext.
///
/// ```json
/// {"v":1,"secret":{"name":"db","arn":"arn:aws:secretsmanager:…:secret:db-AbCdEf",…,
///  "versions":[{"id":"…","stages":["AWSCURRENT"],"encryptedDataKey":[],"ciphertext":[],…}]},
///  "sealed":{"<versionId>":{"key":"<base64>","value":"<base64>"}}}
/// ```
enum SecretRecord {
    static let kind = "secret"
    static let version = 1

    struct Sealed: Codable {
        var key: String
        var value: String
    }

    struct Stored: Codable {
        var v: Int
        var secret: Secret
        var sealed: [String: Sealed]
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func aad(_ s: Secret, _ versionId: String, _ field: String) -> String {
        "secretsmanager/\(s.account)/\(s.region)/\(s.arn)/version/\(versionId)/\(field)"
    }

    static func encode(_ s: Secret, records: any DurableRecords) -> [UInt8] {
        var stripped = s
        var sealed: [String: Sealed] = [:]
        for i in stripped.versions.indices {
            let v = stripped.versions[i]
            sealed[v.id] = Sealed(key: Base64.encode(records.seal(v.encryptedDataKey, aad: aad(s, v.id, "data-key"))),
                                  value: Base64.encode(records.seal(v.ciphertext, aad: aad(s, v.id, "value"))))
            stripped.versions[i].encryptedDataKey = []
            stripped.versions[i].ciphertext = []
        }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array((try? e.encode(Stored(v: version, secret: stripped, sealed: sealed))) ?? Data())
    }

    static func decode(_ r: DurableRecord, records: any DurableRecords) throws -> Secret {
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "Secrets Manager record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: Data(r.data))
        } catch {
            throw fail("\(error)")
        }
        guard stored.v <= version else { throw fail("record version \(stored.v) is newer than this Simfra understands") }
        var s = stored.secret
        for i in s.versions.indices {
            let id = s.versions[i].id
            guard let sv = stored.sealed[id], let k = Base64.decode(sv.key), let c = Base64.decode(sv.value) else {
                throw fail("version \(id) has no sealed value")
            }
            do {
                s.versions[i].encryptedDataKey = try records.unseal(k, aad: aad(s, id, "data-key"))
                s.versions[i].ciphertext = try records.unseal(c, aad: aad(s, id, "value"))
            } catch {
                throw fail("version \(id) cannot be unsealed: \(error)")
            }
        }
        return s
    }
}
