import Foundation
import SimfraCore

/// A key's durable record: metadata, policy, tags, grants and every material version, as
/// JSON. Material bytes are sealed under the data dir's master key, bound to the key and the
/// material id, so no key material is ever on disk in the clear.
enum KeyRecord {
    static let kind = "key"
    static let version = 1

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    struct Stored: Codable {
        var v: Int
        var created: Double
        var description: String
        var usage: String
        var spec: String
        var origin: String
        var manager: String
        var state: KeyState
        var deletionDate: Double?
        var pendingWindow: Int?
        var policy: String
        var tags: [String: String]
        var materials: [Material]
        var rotation: Bool
        var rotationDays: Int?
        var nextRotation: Double?
        var onDemandStart: Double?
        var multiRegion: Bool
        var primaryRegion: String?
        var replicas: [String]
        var grants: [StoredGrant]
    }

    struct Material: Codable {
        var id: String
        /// Base64 of the sealed bytes.
        var sealed: String
        var created: Double
        var rotationType: String?
        var expirationModel: String?
        var validTo: Double?
        var description: String?
    }

    struct StoredGrant: Codable {
        var id: String
        var token: String
        var name: String?
        var grantee: String
        var retiring: String?
        var issuer: String
        var ops: [String]
        var equals: [String: String]?
        var subset: [String: String]?
        var created: Double
    }

    static func aad(_ ref: KeyRef, material: String) -> String {
        "kms/key/\(ref.account)/\(ref.region)/\(ref.keyId)/material/\(material)"
    }

    static func encode(_ k: KMSKey, records: any DurableRecords) -> [UInt8] {
        let s = Stored(
            v: version, created: k.created, description: k.description, usage: k.keyUsage, spec: k.keySpec,
            origin: k.origin, manager: k.manager, state: k.state, deletionDate: k.deletionDate,
            pendingWindow: k.pendingWindowInDays, policy: k.policy, tags: k.tags,
            materials: k.materials.map {
                Material(id: $0.id, sealed: Base64.encode(records.seal($0.bytes, aad: aad(k.ref, material: $0.id))),
                         created: $0.created, rotationType: $0.rotationType, expirationModel: $0.expirationModel,
                         validTo: $0.validTo, description: $0.description)
            },
            rotation: k.rotationEnabled, rotationDays: k.rotationPeriodInDays, nextRotation: k.nextRotation,
            onDemandStart: k.onDemandRotationStart, multiRegion: k.multiRegion, primaryRegion: k.primaryRegion,
            replicas: k.replicaRegions,
            grants: k.grants.map {
                StoredGrant(id: $0.grantId, token: $0.token, name: $0.name, grantee: $0.granteePrincipal,
                            retiring: $0.retiringPrincipal, issuer: $0.issuingAccount, ops: $0.operations,
                            equals: $0.contextEquals, subset: $0.contextSubset, created: $0.created)
            })
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return Array((try? enc.encode(s)) ?? Data())
    }

    static func decode(_ r: DurableRecord, records: any DurableRecords) throws -> KMSKey {
        let ref = KeyRef(account: r.account, region: r.region, keyId: r.id)
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "KMS key record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        let s: Stored
        do {
            s = try JSONDecoder().decode(Stored.self, from: Data(r.data))
        } catch {
            throw fail("\(error)")
        }
        guard s.v <= version else { throw fail("record version \(s.v) is newer than this Simfra understands (\(version))") }
        var materials: [KeyMaterial] = []
        for m in s.materials {
            guard let sealed = Base64.decode(m.sealed) else { throw fail("material \(m.id) is not base64") }
            let bytes: [UInt8]
            do {
                bytes = try records.unseal(sealed, aad: aad(ref, material: m.id))
            } catch {
                throw fail("material \(m.id) does not unseal: \(error)")
            }
            materials.append(KeyMaterial(id: m.id, bytes: bytes, created: m.created, rotationType: m.rotationType,
                                         expirationModel: m.expirationModel, validTo: m.validTo, description: m.description))
        }
        var k = KMSKey(
            ref: ref, created: s.created, description: s.description, keyUsage: s.usage, keySpec: s.spec, origin: s.origin,
            manager: s.manager, state: s.state, deletionDate: s.deletionDate, pendingWindowInDays: s.pendingWindow,
            policy: s.policy, tags: s.tags, materials: materials, rotationEnabled: s.rotation,
            rotationPeriodInDays: s.rotationDays, nextRotation: s.nextRotation, onDemandRotationStart: s.onDemandStart,
            multiRegion: s.multiRegion, primaryRegion: s.primaryRegion, replicaRegions: s.replicas)
        k.grants = s.grants.map {
            Grant(grantId: $0.id, token: $0.token, name: $0.name, granteePrincipal: $0.grantee, retiringPrincipal: $0.retiring,
                  issuingAccount: $0.issuer, operations: $0.ops, contextEquals: $0.equals, contextSubset: $0.subset,
                  created: $0.created)
        }
        return k
    }
}

/// An alias's durable record (id: the alias name).
enum AliasRecord {
    static let kind = "alias"

    struct Stored: Codable {
        var target: String
        var created: Double
        var updated: Double
    }

    static func encode(_ a: KMSAlias) -> [UInt8] {
        Array((try? JSONEncoder().encode(Stored(target: a.targetKeyId, created: a.created, updated: a.updated))) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> KMSAlias {
        do {
            let s = try JSONDecoder().decode(Stored.self, from: Data(r.data))
            return KMSAlias(ref: AliasRef(account: r.account, region: r.region, name: r.id), targetKeyId: s.target,
                            created: s.created, updated: s.updated)
        } catch {
            throw KeyRecord.DecodeError(description: "KMS alias record \(r.account)/\(r.region)/\(r.id) is unreadable: \(error)")
        }
    }
}
