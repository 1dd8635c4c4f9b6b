import SimfraCore
import SimfraPersistence

extension S3Service {
    /// Rebuilds buckets, object versions and in-progress uploads from the durable records,
    /// then deletes every body file no record references (half-written uploads, bodies
    /// replaced just before a crash or still in their grace period at the last stop).
    ///
    /// The sweep runs only when every record was understood: a record that fails to decode
    /// stops the restore (and so the start) before it, and a record of a kind this build does
    /// not know (written by a newer Simfra) may name bodies, so its presence skips the sweep.
    public func restore() throws {
        let loaded = try records.loadAll()
        var sseKeys: [String: [UInt8]] = [:]
        for r in loaded where r.kind == Self.sseKeyKind {
            sseKeys[r.account] = try records.unseal(r.data, aad: Self.sseKeyAAD(r.account))
        }
        let rebuilt = try state.withLock { (s: inout State) throws -> Rebuilt in
            s.sseKeys = sseKeys
            return try Self.rebuild(loaded.filter { $0.kind != Self.sseKeyKind }, into: &s)
        }
        // Body paths are opened without re-validation later: check each once here.
        for path in rebuilt.keep { _ = try blobs.absolutePath(path) }
        if rebuilt.unknownKinds.isEmpty {
            try blobs.removeOrphans(keep: rebuilt.keep)
        }
    }

    struct Rebuilt {
        /// Every body path any record names (loaded or not).
        var keep: Set<String>
        /// Record kinds this build does not know.
        var unknownKinds: Set<String>
    }

    /// Decodes the records into fresh state; returns every body path they reference.
    static func rebuild(_ loaded: [DurableRecord], into s: inout State) throws -> Rebuilt {
        var unknownKinds = Set<String>()
        var buckets: [String: Bucket] = [:]
        var objects: [(String, ObjectVersion)] = []
        var uploads: [String: Upload] = [:]
        var parts: [(String, Part)] = []
        for r in loaded {
            switch r.kind {
            case S3Records.bucketKind:
                let b = try S3Records.decodeBucket(r.data)
                buckets[b.name] = b
            case S3Records.objectKind:
                let bucket = String(r.id.prefix { $0 != "/" })
                objects.append((bucket, try S3Records.decodeObject(r.data)))
            case S3Records.uploadKind:
                let u = try S3Records.decodeUpload(r.data)
                uploads[u.uploadId] = u
            case S3Records.partKind:
                let (id, p) = try S3Records.decodePart(r.data)
                parts.append((id, p))
            default:
                unknownKinds.insert(r.kind)
            }
        }
        // Every path any decoded record names is kept, even of records that do not load
        // (an object whose bucket record is missing, a part of an unknown upload).
        var keep = Set<String>()
        for (_, v) in objects { if let p = v.blobPath { keep.insert(p) } }
        for (_, p) in parts { if let path = p.blobPath { keep.insert(path) } }
        for (bucketName, v) in objects {
            guard let b = buckets[bucketName] else { continue }
            b.objects.modify(v.key) { (versions: inout [ObjectVersion]?) in
                if versions == nil { versions = [v] } else { versions!.append(v) }
            }
            if v.seq >= b.nextSeq { b.nextSeq = v.seq + 1 }
        }
        for b in buckets.values {
            b.objects.mutateAll { versions in
                if versions.count > 1 { versions.sort { $0.seq > $1.seq } }
            }
        }
        for (id, p) in parts {
            guard uploads[id] != nil else { continue }
            uploads[id]!.parts[p.number] = p
        }
        uploads = uploads.filter { buckets[$0.value.bucket] != nil }
        s.buckets = buckets
        s.uploads = uploads
        return Rebuilt(keep: keep, unknownKinds: unknownKinds)
    }
}
