/// Staging labels, as Secrets Manager moves them. Plain value logic, tested without I/O.
///
/// - A label is attached to at most one version; attaching it elsewhere detaches it.
/// - When AWSCURRENT moves to another version, the version that had it gets AWSPREVIOUS
///   (taken from wherever it was).
/// - A version with no label is deprecated; beyond `versionLimit` versions, deprecated
///   versions older than a day are removed, oldest first (AWS: 100 versions, and never one
///   created in the last 24 hours).
extension Secret {
    static let current = "AWSCURRENT"
    static let previous = "AWSPREVIOUS"
    static let pending = "AWSPENDING"
    static let versionLimit = 100

    /// Adds a new version carrying `version.stages`. When it takes AWSCURRENT from a version
    /// that also carries AWSPENDING (a finished rotation), that AWSPENDING goes too, as AWS's
    /// recorded PutSecretValue shows.
    mutating func add(_ version: SecretVersion, now: Double) {
        var v = version
        let stages = v.stages
        if stages.contains(Self.current), let old = self.version(stage: Self.current), old.stages.contains(Self.pending) {
            detach(Self.pending, from: old.id)
        }
        v.stages = []
        versions.append(v)
        for stage in stages { attach(stage, to: v.id) }
        prune(now: now)
    }

    /// Attaches `stage` to the version `id` (which must exist), detaching it from any other.
    mutating func attach(_ stage: String, to id: String) {
        let previousHolder = version(stage: stage)?.id
        if previousHolder == id { return }
        if let p = previousHolder { detach(stage, from: p) }
        if stage == Self.current, let old = previousHolder {
            if let holder = version(stage: Self.previous)?.id { detach(Self.previous, from: holder) }
            insert(Self.previous, into: old)
        }
        insert(stage, into: id)
    }

    mutating func detach(_ stage: String, from id: String) {
        guard let i = versionIndex(id: id) else { return }
        versions[i].stages.removeAll { $0 == stage }
    }

    private mutating func insert(_ stage: String, into id: String) {
        guard let i = versionIndex(id: id), !versions[i].stages.contains(stage) else { return }
        versions[i].stages.append(stage)
        versions[i].stages.sort()
    }

    mutating func prune(now: Double) {
        var excess = versions.count - Self.versionLimit
        guard excess > 0 else { return }
        versions.removeAll { v in
            guard excess > 0, v.isDeprecated, now - v.created >= 86400 else { return false }
            excess -= 1
            return true
        }
    }
}
