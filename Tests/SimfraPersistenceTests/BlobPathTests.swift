import Foundation
import Testing

@testable import SimfraPersistence

#if canImport(Crypto)
import Crypto
#endif

@Suite struct BlobPathTests {
    static let hostileKeys: [String] = [
        "", ".", "..", "...", "/", "//", "../", "../../etc/passwd", "/etc/passwd", "a/../../b",
        "./a", "a/./b", "a//b", "\u{0}", "a\u{0}b", "..\u{0}/..", "\\..\\..\\windows", "C:\\x",
        "%2e%2e/%2e%2e", "~", "~/x", "\n", "\r\n..\r\n", " ", "  key  ", "tab\tcr\r",
        "é", "e\u{301}", "日本語/キー", "🙂/../🙂", "\u{202E}gpj.exe", "\u{FEFF}..",
        String(repeating: "a", count: 1024), String(repeating: "é", count: 512),
        String(repeating: "../", count: 341), String(repeating: "/", count: 1024),
        String(repeating: "x", count: 5000), ".tmp", "s3/.tmp/x", "-", "--", "$(rm -rf /)", "*", "?",
    ]

    static let hostileBuckets: [String] = [
        "bucket", "my.bucket-1", ".", "..", ".tmp", "", "/", "../x", "a/b", "\u{0}", "UPPER",
        "%", "%2e", String(repeating: "b", count: 63), String(repeating: "b", count: 300), "é", ".hidden",
    ]

    /// Every property a blob path must have to be safe under `<dataDir>`.
    func checkSafe(_ path: String, _ context: @autoclosure () -> String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let ok = path.hasPrefix("s3/") && !path.hasPrefix("/") && !path.utf8.contains(0)
            && segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.count <= 255 }
            && segments.count == 4 && !segments[1].hasPrefix(".") && path.utf8.count < 400
            && path.utf8.allSatisfy { $0 >= 0x21 && $0 < 0x7F }
        #expect(ok, "unsafe path \(path.debugDescription) for \(context())")
        #expect((try? BlobStore.validate(path)) != nil, "validate rejects \(path.debugDescription)")
    }


    @Test func hostileKeysAndBucketsStayInside() {
        for bucket in Self.hostileBuckets {
            for key in Self.hostileKeys {
                let path = S3PathEncoding.relativePath(bucket: bucket, key: key)
                checkSafe(path, "bucket \(bucket.debugDescription) key \(key.debugDescription)")
            }
        }
    }

    @Test func randomKeysStayInsideAndAreDistinct() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "/", ".", "\u{0}", "é", "🙂", " ", "\\", "%", "Z", "-", "\n"]
        var seen = [String: String]()
        for i in 0..<10_000 {
            let length = Int.random(in: 0...(i % 10 == 0 ? 1024 : 40), using: &rng)
            var key = ""
            if i % 2 == 0 {
                for _ in 0..<length { key.append(alphabet.randomElement(using: &rng)!) }
            } else {
                // Arbitrary scalars (excluding surrogates).
                for _ in 0..<length {
                    let scalar = Unicode.Scalar(UInt32.random(in: 0...0xD7FF, using: &rng))!
                    key.unicodeScalars.append(scalar)
                }
            }
            let path = S3PathEncoding.relativePath(bucket: "bucket", key: key)
            checkSafe(path, key.debugDescription)
            if let previous = seen[path], Array(previous.utf8) != Array(key.utf8) {
                Issue.record("collision: \(previous.debugDescription) and \(key.debugDescription)")
            }
            seen[path] = key
        }
    }

    @Test func layoutAndGenerations() {
        let path = S3PathEncoding.relativePath(bucket: "my.bucket", key: "abc")
        #expect(path == "s3/my.bucket/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // NFC and NFD spellings are different S3 keys, so different files.
        #expect(S3PathEncoding.relativePath(bucket: "b", key: "é") != S3PathEncoding.relativePath(bucket: "b", key: "e\u{301}"))
        let g1 = S3PathEncoding.relativePath(bucket: "b", key: "k", generation: "0a1b2c")
        #expect(g1 == S3PathEncoding.relativePath(bucket: "b", key: "k") + "-0a1b2c")
        for generation in ["", "../x", "ABC", "a/b", "\u{0}", String(repeating: "a", count: 65), "..", "null"] {
            let p = S3PathEncoding.relativePath(bucket: "b", key: "k", generation: generation)
            checkSafe(p, "generation \(generation.debugDescription)")
        }
        #expect(S3PathEncoding.relativePath(bucket: "b", key: "k", generation: "ABC")
            != S3PathEncoding.relativePath(bucket: "b", key: "k", generation: "abc"))
    }

    @Test func bucketSegmentsAreInjective() {
        var seen = [String: String]()
        for bucket in Self.hostileBuckets + ["a%2eb", "a.b", "a%b", "A", "%41", "a", "ab", "a-b"] {
            let segment = S3PathEncoding.bucketSegment(bucket)
            if let previous = seen[segment], previous != bucket {
                Issue.record("\(previous.debugDescription) and \(bucket.debugDescription) share \(segment)")
            }
            seen[segment] = bucket
            #expect(segment != "." && segment != ".." && !segment.hasPrefix(".") && !segment.contains("/"))
        }
    }

    @Test func validateRejectsUnsafePaths() {
        for bad in ["", "/s3/a/b", "s3", "s3/", "s3/../x", "s3/a/../../etc", "s3/./a", "s3/a//b", "s3/.tmp/x",
                    "x/a/b", "s3/a\u{0}/b", "s3/a/b/..", "s3x/a/b", "S3/a/b", "s3/a/.", "s3/../", "s3/a/b/", "s3/.x/y",
                    "s/3/a", "s3//a"] {
            #expect(throws: PersistenceError.self, "\(bad.debugDescription)") { try BlobStore.validate(bad) }
        }
        for good in ["s3/a", "s3/a/...", "s3/a/.b", "s3/a..b/c", "s3/b/ff/0123-abc"] {
            #expect((try? BlobStore.validate(good)) != nil, "\(good.debugDescription)")
        }
    }

    // MARK: BlobStore

    @Test func atomicWriteReadRemoveAndOrphans() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: "\(dir.path)/s3", withIntermediateDirectories: true)
        let blobs = BlobStore(dataDir: dir.path)
        let keep = S3PathEncoding.relativePath(bucket: "b", key: "../../keep", generation: "1")
        let orphan = S3PathEncoding.relativePath(bucket: "b", key: "orphan")
        let otherBucket = S3PathEncoding.relativePath(bucket: "c", key: "x")
        try blobs.write(Array("keep".utf8), to: keep)
        try blobs.write(Array("old".utf8), to: orphan)
        try blobs.write(Array("new".utf8), to: orphan)  // replace
        try blobs.write([], to: otherBucket)
        #expect(try blobs.read(keep) == Array("keep".utf8))
        #expect(try blobs.read(orphan) == Array("new".utf8))
        #expect(try blobs.read(otherBucket) == [])
        #expect(FileIO.list("\(dir.path)/s3/.tmp").isEmpty)

        // Streaming writer; an aborted one leaves nothing.
        let streamed = S3PathEncoding.relativePath(bucket: "b", key: "big")
        let writer = try blobs.makeWriter()
        for i in 0..<100 { try writer.write(Array(repeating: UInt8(i), count: 1000)) }
        #expect(writer.bytesWritten == 100_000)
        try writer.commit(to: streamed)
        #expect(try blobs.read(streamed).count == 100_000)
        let aborted = try blobs.makeWriter()
        try aborted.write([1, 2, 3])
        aborted.abort()
        do { let leaked = try blobs.makeWriter(); try leaked.write([1]) }  // released without commit
        #expect(FileIO.list("\(dir.path)/s3/.tmp").isEmpty)

        // A crash leftover in .tmp and a stray file are orphans too.
        _ = FileManager.default.createFile(atPath: "\(dir.path)/s3/.tmp/leftover", contents: Data([1]))
        _ = FileManager.default.createFile(atPath: "\(dir.path)/s3/b/stray", contents: Data([1]))
        let removed = try blobs.removeOrphans(keep: [keep, streamed])
        #expect(removed == 4)  // orphan, otherBucket, leftover, stray
        #expect(blobs.exists(keep) && blobs.exists(streamed))
        #expect(!blobs.exists(orphan) && !blobs.exists(otherBucket))
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/s3/c"))  // emptied bucket dir removed
        #expect(FileIO.list("\(dir.path)/s3/.tmp").isEmpty)

        try blobs.remove(keep)
        try blobs.remove(keep)  // missing is fine
        #expect(!blobs.exists(keep))
        #expect(throws: PersistenceError.self) { try blobs.write([1], to: "s3/../../escape") }
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/../escape"))
    }
}
