import Foundation
import SimfraCore

/// A parameter's durable record (kind `parameter`, id = the normalized name): every version
/// with its labels, and the tags, as JSON. A SecureString version's value — already a KMS
/// ciphertext — is sealed once more under the data dir's key, bound to the parameter and
/// version, so the database holds no value KMS alone could open.
///
/// ```json
/// {"v":1,"name":"/app/db","tags":[["team","a"]],
///  "versions":[{"version":1,"type":"SecureString","value":"<base64 sealed>",…}]}
/// ```
enum ParameterRecord {
    static let kind = "parameter"
    static let formatVersion = 1

    private struct Stored: Codable {
        var v: Int
        var name: String
        var tags: [[String]]
        var versions: [ParameterVersion]
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func aad(_ scope: ScopeKey, _ name: String, _ version: Int64) -> String {
        "ssm/\(scope.account)/\(scope.region)/parameter/\(ParameterName.key(name))/\(version)/value"
    }

    static func encode(_ p: SSMParameter, scope: ScopeKey, records: any DurableRecords) -> [UInt8] {
        var versions = p.versions
        for i in versions.indices where versions[i].isSecure {
            let sealed = records.seal(Array(versions[i].value.utf8), aad: aad(scope, p.name, versions[i].version))
            versions[i].value = Base64.encode(sealed)
        }
        let stored = Stored(v: formatVersion, name: p.name, tags: p.tags.map { [$0.key, $0.value] }, versions: versions)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Plain structs of strings and numbers always encode.
        return Array((try? e.encode(stored)) ?? Data())
    }

    static func decode(_ r: DurableRecord, records: any DurableRecords) throws -> SSMParameter {
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "SSM parameter record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        let stored: Stored
        do { stored = try JSONDecoder().decode(Stored.self, from: Data(r.data)) } catch { throw fail("\(error)") }
        guard stored.v <= formatVersion else {
            throw fail("record version \(stored.v) is newer than this Simfra understands (\(formatVersion))")
        }
        guard !stored.versions.isEmpty else { throw fail("no versions") }
        let scope = ScopeKey(account: r.account, region: r.region)
        var versions = stored.versions
        for i in versions.indices where versions[i].isSecure {
            guard let sealed = Base64.decode(versions[i].value) else { throw fail("a sealed value is not base64") }
            do {
                let plain = try records.unseal(sealed, aad: aad(scope, stored.name, versions[i].version))
                versions[i].value = String(decoding: plain, as: UTF8.self)
            } catch {
                throw fail("a sealed value cannot be opened with this key: \(error)")
            }
        }
        let tags = stored.tags.compactMap { $0.count == 2 ? (key: $0[0], value: $0[1]) : nil }
        return SSMParameter(name: stored.name, versions: versions, tags: tags)
    }
}
