import SimfraCore

extension S3Service {
    struct DeleteResult: Sendable {
        var key: String
        var versionId: String?
        var deleteMarker: Bool
        var deleteMarkerVersionId: String?
        /// Whether the request named the version (else a key was deleted).
        var byVersion = false
    }

    /// Deletes one key or version under the lock, returning what to report, the records to
    /// write and the bodies to remove once they are durable.
    func deleteLocked(_ b: Bucket, key: String, versionId: String?, ifMatch: String? = nil, now: Double)
        throws(AWSError) -> (DeleteResult, [DurableWrite], [String])
    {
        var writes: [DurableWrite] = []
        var removed: [String] = []
        let versions = b.objects[key] ?? []
        func deleteRecord(_ v: ObjectVersion) {
            writes.append(.delete(kind: S3Records.objectKind, account: b.owner, region: b.region,
                                  id: S3Records.objectID(bucket: b.name, key: key, versionId: v.versionId)))
            if let p = v.blobPath { removed.append(p) }
        }
        if let im = ifMatch {
            guard let latest = versions.first, !latest.isDeleteMarker else { throw S3Errors.noSuchKey(key) }
            if !Conditions.matches(im, latest.etag) { throw S3Errors.preconditionFailed("If-Match") }
        }
        if let vid = versionId {
            guard let i = versions.firstIndex(where: { $0.versionId == vid }) else {
                if vid != "null" && !vid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }) {
                    throw S3Errors.invalidVersionId(vid)
                }
                return (DeleteResult(key: key, versionId: vid, deleteMarker: false, byVersion: true), [], [])
            }
            let v = versions[i]
            var rest = versions
            rest.remove(at: i)
            b.objects[key] = rest.isEmpty ? nil : rest
            deleteRecord(v)
            return (DeleteResult(key: key, versionId: vid, deleteMarker: v.isDeleteMarker,
                                 deleteMarkerVersionId: v.isDeleteMarker ? vid : nil, byVersion: true), writes, removed)
        }
        switch b.versioning {
        case nil:
            if !versions.isEmpty {
                b.objects[key] = nil
                for v in versions { deleteRecord(v) }
            }
            return (DeleteResult(key: key, versionId: nil, deleteMarker: false), writes, removed)
        case "Suspended":
            // The marker takes the `null` version's place (same record id: the put replaces it).
            for v in versions where v.versionId == "null" { if let p = v.blobPath { removed.append(p) } }
            let marker = ObjectVersion.deleteMarker(key: key, versionId: "null", seq: b.takeSeq(), now: now, owner: b.owner)
            b.objects[key] = [marker] + versions.filter { $0.versionId != "null" }
            writes.append(.put(kind: S3Records.objectKind, account: b.owner, region: b.region,
                               id: S3Records.objectID(bucket: b.name, key: key, versionId: "null"), data: S3Records.encode(marker)))
            return (DeleteResult(key: key, versionId: "null", deleteMarker: true, deleteMarkerVersionId: "null"), writes, removed)
        default:
            let marker = ObjectVersion.deleteMarker(key: key, versionId: Digests.randomID(32), seq: b.takeSeq(), now: now, owner: b.owner)
            b.objects[key] = [marker] + versions
            writes.append(.put(kind: S3Records.objectKind, account: b.owner, region: b.region,
                               id: S3Records.objectID(bucket: b.name, key: key, versionId: marker.versionId),
                               data: S3Records.encode(marker)))
            return (DeleteResult(key: key, versionId: marker.versionId, deleteMarker: true,
                                 deleteMarkerVersionId: marker.versionId), writes, removed)
        }
    }

    func deleteObject(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        let key = input.str("Key") ?? ""
        let t = now()
        let (result, commit, removed, notify) = try locked {
            s throws(AWSError) -> (DeleteResult, Commit, [String], (NotificationScope, String)?) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let (r, writes, removed) = try deleteLocked(b, key: key, versionId: input.str("VersionId"), ifMatch: input.str("IfMatch"), now: t)
            // Only a delete that changed something is an event.
            let notify = writes.isEmpty ? nil : b.notificationScope.map { ($0, notifier.sequencer(now: clock.now())) }
            return (r, writes.isEmpty || !records.isPersistent ? .done : records.apply(writes), removed, notify)
        }
        try await commit.wait()
        removeBodies(removed)
        if let (scope, sequencer) = notify {
            notifier.deliver([removalEvent(result, sequencer: sequencer, scope: scope, context: context)], scope: scope, context: context)
        }
        var out: Value = [:]
        if result.deleteMarker { out["DeleteMarker"] = true }
        if let v = result.versionId { out["VersionId"] = .string(v) }
        return out
    }

    func deleteObjects(_ input: Value, _ context: RequestContext) async throws -> Value {
        let bucketName = input.str("Bucket") ?? ""
        guard let delete = input["Delete"], let objects = delete["Objects"]?.listValue, !objects.isEmpty, objects.count <= 1000 else {
            throw S3Errors.malformedXML()
        }
        let quiet = delete.bool("Quiet") ?? false
        let t = now()
        let (results, errors, commit, removed, changed, scope) = try locked {
            s throws(AWSError) -> ([DeleteResult], [Value], Commit, [String], [(DeleteResult, String)], NotificationScope?) in
            let b = try bucket(s, bucketName, context, expectedOwner: input.str("ExpectedBucketOwner"))
            let scope = b.notificationScope
            var results: [DeleteResult] = []
            var changed: [(DeleteResult, String)] = []
            var errors: [Value] = []
            var allWrites: [DurableWrite] = []
            var allRemoved: [String] = []
            for o in objects {
                let key = o.str("Key") ?? ""
                let vid = o.str("VersionId")
                do throws(AWSError) {
                    if key.utf8.count > 1024 { throw S3Errors.keyTooLong(key.utf8.count) }
                    let (r, writes, removed) = try deleteLocked(b, key: key, versionId: vid, ifMatch: o.str("ETag"), now: t)
                    results.append(r)
                    if scope != nil, !writes.isEmpty { changed.append((r, notifier.sequencer(now: clock.now()))) }
                    allWrites += writes
                    allRemoved += removed
                } catch {
                    var e: Value = ["Key": .string(key), "Code": .string(error.code), "Message": .string(error.message)]
                    if let vid { e["VersionId"] = .string(vid) }
                    errors.append(e)
                }
            }
            return (results, errors, allWrites.isEmpty ? .done : records.apply(allWrites), allRemoved, changed, scope)
        }
        try await commit.wait()
        removeBodies(removed)
        if let scope, !changed.isEmpty {
            notifier.deliver(changed.map { removalEvent($0.0, sequencer: $0.1, scope: scope, context: context) }, scope: scope,
                             context: context)
        }
        var out: Value = [:]
        if !quiet {
            out["Deleted"] = .list(results.map { r in
                var d: Value = ["Key": .string(r.key)]
                if r.byVersion, let v = r.versionId { d["VersionId"] = .string(v) }
                if r.deleteMarker {
                    d["DeleteMarker"] = true
                    if let m = r.deleteMarkerVersionId { d["DeleteMarkerVersionId"] = .string(m) }
                }
                return d
            })
        }
        if !errors.isEmpty { out["Errors"] = .list(errors) }
        return out
    }
}
