import SimfraCore
import Testing

@testable import SimfraS3

func version(_ key: String, _ id: String = "null", seq: UInt64 = 1, marker: Bool = false) -> ObjectVersion {
    var v = ObjectVersion.deleteMarker(key: key, versionId: id, seq: seq, now: 1_700_000_000, owner: "000000000000")
    v.isDeleteMarker = marker
    v.etag = marker ? "" : "\"etag-\(key)\""
    v.size = marker ? 0 : Int64(key.utf8.count)
    return v
}

func index(_ keys: [String]) -> SortedIndex<[ObjectVersion]> {
    var idx = SortedIndex<[ObjectVersion]>()
    for k in keys { idx.insert(k, [version(k)]) }
    return idx
}

@Suite struct SortedIndexTests {
    @Test func keepsUTF8ByteOrderAcrossChunks() {
        var rng = SystemRandomNumberGenerator()
        var keys = Set<String>()
        let alphabet = Array("abcXYZ019/-_ é中😀")
        while keys.count < 3000 {
            let n = Int.random(in: 1...12, using: &rng)
            keys.insert(String((0..<n).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        var idx = SortedIndex<Int>()
        for (i, k) in keys.shuffled(using: &rng).enumerated() { idx.insert(k, i) }
        #expect(idx.count == keys.count)
        #expect(idx.chunks.count > 1)
        var listed: [String] = []
        idx.forEach { k, _ in listed.append(k) }
        #expect(listed.map { Array($0.utf8) } == keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        // Remove half, the rest stays ordered and findable.
        for k in listed.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) { idx.remove(k) }
        #expect(idx.count == keys.count / 2)
        for (i, k) in listed.enumerated() { #expect((idx[k] != nil) == (i % 2 == 1)) }
    }

    @Test func canonicallyEquivalentKeysAreDistinct() {
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        #expect(nfc == nfd)  // Swift says equal…
        var idx = SortedIndex<Int>()
        idx.insert(nfc, 1)
        idx.insert(nfd, 2)
        #expect(idx.count == 2)  // …S3 does not.
        #expect(idx[nfc] == 1 && idx[nfd] == 2)
        #expect(KeyBytes.compare(nfd, nfc) < 0)  // "e" (0x65) sorts before "é" (0xC3 0xA9)
    }

    @Test func bounds() {
        let idx = index(["a", "b/1", "b/2", "c"])
        #expect(idx.key(at: idx.lowerBound("b")) == "b/1")
        #expect(idx.key(at: idx.upperBound("b/1")) == "b/2")
        #expect(idx.key(at: idx.upperBound("c")) == nil)
        #expect(idx.key(at: idx.lowerBound(bytes: KeyBytes.successor(ofPrefix: Array("b/".utf8))!)) == "c")
        #expect(KeyBytes.successor(ofPrefix: [0x61, 0xFF]) == [0x62])
        #expect(KeyBytes.successor(ofPrefix: [0xFF]) == nil)
    }
}

@Suite struct ListingTests {
    let keys = ["a/b/c.txt", "a/b/d.txt", "a/e.txt", "a/f/g.txt", "b.txt", "c/h.txt", "d"]

    @Test func delimiterRollsUpCommonPrefixes() {
        let p = Listing.objects(index(keys), prefix: "", delimiter: "/", after: nil, maxKeys: 1000)
        #expect(p.contents.map(\.key) == ["b.txt", "d"])
        #expect(p.commonPrefixes == ["a/", "c/"])
        #expect(!p.isTruncated)
        let q = Listing.objects(index(keys), prefix: "a/", delimiter: "/", after: nil, maxKeys: 1000)
        #expect(q.contents.map(\.key) == ["a/e.txt"])
        #expect(q.commonPrefixes == ["a/b/", "a/f/"])
    }

    @Test func paginationCountsPrefixesAndResumesAfterThem() {
        let idx = index(keys)
        var marker: String?
        var pages: [[String]] = []
        repeat {
            let p = Listing.objects(idx, prefix: "", delimiter: "/", after: marker, maxKeys: 1)
            pages.append(p.contents.map(\.key) + p.commonPrefixes)
            marker = p.isTruncated ? p.lastReturned : nil
        } while marker != nil
        #expect(pages == [["a/"], ["b.txt"], ["c/"], ["d"]])
    }

    @Test func multiCharacterDelimiterAndPrefixWithoutMatches() {
        let idx = index(["x--1--a", "x--1--b", "x--2", "y"])
        let p = Listing.objects(idx, prefix: "x", delimiter: "--", after: nil, maxKeys: 10)
        #expect(p.commonPrefixes == ["x--"])
        let q = Listing.objects(idx, prefix: "x--", delimiter: "--", after: nil, maxKeys: 10)
        #expect(q.commonPrefixes == ["x--1--"] && q.contents.map(\.key) == ["x--2"])
        #expect(Listing.objects(idx, prefix: "zz", delimiter: nil, after: nil, maxKeys: 10).contents.isEmpty)
    }

    @Test func maxKeysZeroAndTruncation() {
        let idx = index(keys)
        let zero = Listing.objects(idx, prefix: "", delimiter: nil, after: nil, maxKeys: 0)
        #expect(zero.contents.isEmpty && !zero.isTruncated)
        let exact = Listing.objects(idx, prefix: "", delimiter: nil, after: nil, maxKeys: keys.count)
        #expect(exact.contents.count == keys.count && !exact.isTruncated)
        let short = Listing.objects(idx, prefix: "", delimiter: nil, after: nil, maxKeys: keys.count - 1)
        #expect(short.isTruncated && short.lastReturned == "c/h.txt")
    }

    @Test func deleteMarkersHideKeysAndEmptyPrefixes() {
        var idx = index(["a/1", "b"])
        idx.insert("a/1", [version("a/1", "m1", seq: 2, marker: true), version("a/1", "v1", seq: 1)])
        let p = Listing.objects(idx, prefix: "", delimiter: "/", after: nil, maxKeys: 10)
        #expect(p.commonPrefixes.isEmpty && p.contents.map(\.key) == ["b"])
    }

    @Test func versionsPaginateInsideAKey() {
        var idx = SortedIndex<[ObjectVersion]>()
        idx.insert("k", [version("k", "v3", seq: 3), version("k", "v2", seq: 2), version("k", "v1", seq: 1)])
        idx.insert("l", [version("l", "w1", seq: 4)])
        let p1 = Listing.versions(idx, prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 2)
        #expect(p1.entries.map(\.version.versionId) == ["v3", "v2"])
        #expect(p1.entries.map(\.isLatest) == [true, false])
        #expect(p1.isTruncated && p1.nextKeyMarker == "k" && p1.nextVersionIdMarker == "v2")
        let p2 = Listing.versions(idx, prefix: "", delimiter: nil, keyMarker: p1.nextKeyMarker,
                                  versionIdMarker: p1.nextVersionIdMarker, maxKeys: 2)
        #expect(p2.entries.map(\.version.versionId) == ["v1", "w1"])
        #expect(!p2.isTruncated)
        let p3 = Listing.versions(idx, prefix: "", delimiter: nil, keyMarker: "k", versionIdMarker: nil, maxKeys: 10)
        #expect(p3.entries.map(\.version.versionId) == ["w1"])
    }
}
