/// The listing algorithms of ListObjects, ListObjectsV2 and ListObjectVersions over a bucket's
/// sorted index: prefix, delimiter roll-up into common prefixes, markers, page size. Each
/// page costs O(log n + page): a rolled-up prefix is skipped with one seek.
enum Listing {
    struct Page {
        var contents: [ObjectVersion] = []
        var commonPrefixes: [String] = []
        var isTruncated = false
        /// The last key or common prefix returned (the next page starts after it).
        var lastReturned: String?
    }

    /// Current (non-deleted) objects.
    static func objects(_ index: SortedIndex<[ObjectVersion]>, prefix: String, delimiter: String?, after marker: String?,
                        maxKeys: Int) -> Page
    {
        var page = Page()
        if maxKeys <= 0 { return page }
        var pos = start(index, prefix: prefix, marker: marker)
        let prefixLength = prefix.utf8.count
        let delim = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var count = 0
        while let key = index.key(at: pos) {
            if !KeyBytes.hasPrefix(key, prefix) { break }
            let versions = index.value(at: pos)!
            guard let latest = versions.first, !latest.isDeleteMarker else {
                pos = index.next(pos)
                continue
            }
            if let delim, let cp = commonPrefix(key, after: prefixLength, delimiter: delim) {
                if let marker, KeyBytes.compare(cp.string, marker) <= 0 {
                    pos = skip(index, past: cp.bytes)
                    continue
                }
                if count == maxKeys {
                    page.isTruncated = true
                    break
                }
                page.commonPrefixes.append(cp.string)
                page.lastReturned = cp.string
                count += 1
                pos = skip(index, past: cp.bytes)
                continue
            }
            if count == maxKeys {
                page.isTruncated = true
                break
            }
            page.contents.append(latest)
            page.lastReturned = key
            count += 1
            pos = index.next(pos)
        }
        return page
    }

    struct VersionPage {
        /// Versions and delete markers in listing order, each with whether it is the latest.
        var entries: [(version: ObjectVersion, isLatest: Bool)] = []
        var commonPrefixes: [String] = []
        var isTruncated = false
        var nextKeyMarker: String?
        var nextVersionIdMarker: String?
    }

    static func versions(_ index: SortedIndex<[ObjectVersion]>, prefix: String, delimiter: String?, keyMarker: String?,
                         versionIdMarker: String?, maxKeys: Int) -> VersionPage
    {
        var page = VersionPage()
        if maxKeys <= 0 { return page }
        let prefixLength = prefix.utf8.count
        let delim = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var pos: SortedIndex<[ObjectVersion]>.Position
        // With a version-id marker the listing resumes inside the marker's key.
        var resumeAfterVersion: String?
        if let km = keyMarker, !km.isEmpty, let vm = versionIdMarker, !vm.isEmpty {
            pos = index.lowerBound(km)
            if let k = index.key(at: pos), KeyBytes.equal(k, km) { resumeAfterVersion = vm } else { pos = index.upperBound(km) }
            if KeyBytes.compare(km, prefix) < 0 { pos = index.lowerBound(prefix); resumeAfterVersion = nil }
        } else {
            pos = start(index, prefix: prefix, marker: keyMarker.flatMap { $0.isEmpty ? nil : $0 })
        }
        var count = 0
        var lastKey: String?
        var lastVersion: String?
        outer: while let key = index.key(at: pos) {
            if !KeyBytes.hasPrefix(key, prefix) { break }
            if let delim, let cp = commonPrefix(key, after: prefixLength, delimiter: delim) {
                if let km = keyMarker, !km.isEmpty, KeyBytes.compare(cp.string, km) <= 0 {
                    pos = skip(index, past: cp.bytes)
                    resumeAfterVersion = nil
                    continue
                }
                if count == maxKeys {
                    page.isTruncated = true
                    break
                }
                page.commonPrefixes.append(cp.string)
                lastKey = cp.string
                lastVersion = nil
                count += 1
                pos = skip(index, past: cp.bytes)
                continue
            }
            let versions = index.value(at: pos)!
            var i = 0
            if let after = resumeAfterVersion {
                if let j = versions.firstIndex(where: { $0.versionId == after }) { i = j + 1 }
                resumeAfterVersion = nil
            }
            while i < versions.count {
                if count == maxKeys {
                    page.isTruncated = true
                    break outer
                }
                page.entries.append((versions[i], i == 0))
                lastKey = key
                lastVersion = versions[i].versionId
                count += 1
                i += 1
            }
            pos = index.next(pos)
        }
        if page.isTruncated {
            page.nextKeyMarker = lastKey
            page.nextVersionIdMarker = lastVersion
        }
        return page
    }

    /// Where a listing starts: after the marker, but never before the prefix.
    private static func start(_ index: SortedIndex<[ObjectVersion]>, prefix: String, marker: String?) -> SortedIndex<[ObjectVersion]>.Position {
        if let marker, KeyBytes.compare(marker, prefix) >= 0 { return index.upperBound(marker) }
        return index.lowerBound(prefix)
    }

    private static func skip(_ index: SortedIndex<[ObjectVersion]>, past prefix: [UInt8]) -> SortedIndex<[ObjectVersion]>.Position {
        guard let succ = KeyBytes.successor(ofPrefix: prefix) else { return index.end }
        return index.lowerBound(bytes: succ)
    }

    /// The key's bytes up to and including the first delimiter after the prefix, if any.
    /// Allocates only when the key rolls up.
    static func commonPrefix(_ key: String, after prefixLength: Int, delimiter: [UInt8]) -> (string: String, bytes: [UInt8])? {
        var k = key
        let end: Int? = k.withUTF8 { bytes in
            guard bytes.count >= prefixLength + delimiter.count else { return nil }
            var i = prefixLength
            let last = bytes.count - delimiter.count
            let first = delimiter[0]
            while i <= last {
                if bytes[i] == first {
                    var j = 1
                    while j < delimiter.count && bytes[i + j] == delimiter[j] { j += 1 }
                    if j == delimiter.count { return i + delimiter.count }
                }
                i += 1
            }
            return nil
        }
        guard let end else { return nil }
        let cp = Array(key.utf8.prefix(end))
        return (String(decoding: cp, as: UTF8.self), cp)
    }

    /// Multipart uploads sorted by key then initiation, with key/upload-id markers.
    static func uploads(_ all: [Upload], prefix: String, delimiter: String?, keyMarker: String?, uploadIdMarker: String?,
                        maxUploads: Int) -> (uploads: [Upload], commonPrefixes: [String], truncated: Bool, nextKey: String?, nextUploadId: String?)
    {
        let sorted = all.filter { KeyBytes.hasPrefix($0.key, prefix) }.sorted {
            let c = KeyBytes.compare($0.key, $1.key)
            return c != 0 ? c < 0 : ($0.initiated, $0.uploadId) < ($1.initiated, $1.uploadId)
        }
        let delim = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let prefixLength = prefix.utf8.count
        var out: [Upload] = []
        var cps: [String] = []
        var truncated = false
        var lastKey: String?
        var lastId: String?
        var i = 0
        if let km = keyMarker, !km.isEmpty {
            if let um = uploadIdMarker, !um.isEmpty {
                // Uploads of the marker key initiated after the marker upload, then later keys.
                let markerIndex = sorted.firstIndex { KeyBytes.equal($0.key, km) && $0.uploadId == um }
                i = markerIndex.map { $0 + 1 } ?? (sorted.firstIndex { KeyBytes.compare($0.key, km) > 0 } ?? sorted.count)
            } else {
                i = sorted.firstIndex { KeyBytes.compare($0.key, km) > 0 } ?? sorted.count
            }
        }
        while i < sorted.count {
            let u = sorted[i]
            if let delim, let cp = commonPrefix(u.key, after: prefixLength, delimiter: delim) {
                if let km = keyMarker, !km.isEmpty, KeyBytes.compare(cp.string, km) <= 0 { i += 1; continue }
                if cps.last != cp.string {
                    if out.count + cps.count == maxUploads { truncated = true; break }
                    cps.append(cp.string)
                    lastKey = cp.string
                    lastId = nil
                }
                i += 1
                continue
            }
            if out.count + cps.count == maxUploads { truncated = true; break }
            out.append(u)
            lastKey = u.key
            lastId = u.uploadId
            i += 1
        }
        return (out, cps, truncated, truncated ? lastKey : nil, truncated ? lastId : nil)
    }
}
