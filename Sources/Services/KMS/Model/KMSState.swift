import SimfraCore

/// Where an alias lives: aliases are regional and per account.
struct AliasRef: Hashable, Sendable {
    var account: String
    var region: String
    /// `alias/…`
    var name: String

    var arn: String { "arn:aws:kms:\(region):\(account):\(name)" }
}

struct KMSAlias: Sendable {
    var ref: AliasRef
    var targetKeyId: String
    var created: Double
    var updated: Double
}

/// Everything KMS holds, guarded by one lock.
struct KMSState {
    var keys: [KeyRef: KMSKey] = [:]
    var aliases: [AliasRef: KMSAlias] = [:]
    /// The earliest DeletionDate of any key pending deletion, so the lazy sweep that runs
    /// before every operation costs one comparison when nothing is due.
    var nextDeletion: Double?
    /// The earliest automatic rotation date of any key, likewise.
    var nextRotation: Double?

    mutating func noteRotation(_ date: Double) {
        nextRotation = min(nextRotation ?? date, date)
    }

    /// Keys whose automatic rotation date has passed.
    mutating func dueForRotation(now: Double) -> [KeyRef] {
        guard let due = nextRotation, due <= now else { return [] }
        var out: [KeyRef] = []
        var next: Double?
        for (ref, key) in keys where key.rotationEnabled {
            guard let d = key.nextRotation else { continue }
            if d <= now { out.append(ref) }
            let following = d <= now ? now + Double(key.rotationPeriodInDays ?? 365) * 86400 : d
            next = min(next ?? following, following)
        }
        nextRotation = next
        return out
    }

    /// Keys whose deletion date has passed (removed by the service, which writes them).
    mutating func dueForDeletion(now: Double) -> [KeyRef] {
        guard let due = nextDeletion, due <= now else { return [] }
        var out: [KeyRef] = []
        var next: Double?
        for (ref, key) in keys where key.state == .pendingDeletion {
            guard let d = key.deletionDate else { continue }
            if d <= now { out.append(ref) } else { next = min(next ?? d, d) }
        }
        nextDeletion = next
        return out
    }

    mutating func noteDeletion(_ date: Double) {
        nextDeletion = min(nextDeletion ?? date, date)
    }

    /// Removes a key and the aliases that point at it; for a multi-Region key, drops its
    /// region from the other copies' replica lists. Returns the aliases removed and the
    /// other copies changed.
    mutating func removeKey(_ ref: KeyRef) -> (aliases: [AliasRef], touched: [KeyRef]) {
        guard let key = keys.removeValue(forKey: ref) else { return ([], []) }
        var gone: [AliasRef] = []
        for (aref, alias) in aliases where aref.account == ref.account && aref.region == ref.region && alias.targetKeyId == ref.keyId {
            aliases[aref] = nil
            gone.append(aref)
        }
        var touched: [KeyRef] = []
        if key.multiRegion {
            for (other, var k) in keys where other.account == ref.account && other.keyId == ref.keyId {
                k.replicaRegions.removeAll { $0 == ref.region }
                keys[other] = k
                touched.append(other)
            }
        }
        return (gone, touched)
    }

    func aliases(of ref: KeyRef) -> [KMSAlias] {
        aliases.values.filter { $0.ref.account == ref.account && $0.ref.region == ref.region && $0.targetKeyId == ref.keyId }
    }
}
