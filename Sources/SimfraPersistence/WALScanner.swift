/// Reads a SQLite WAL file the way SQLite's recovery does, to find what recovery would drop.
///
/// SQLite replays a WAL up to the last commit frame before the first frame whose salts or
/// cumulative checksum do not match, and silently ignores everything after it. After a
/// `kill -9` that tail is at most one unfinished transaction (nothing was acknowledged), but
/// a damaged byte in the middle of the WAL would make SQLite drop every later transaction
/// without a word. This scanner tells the two apart: past the replay point it checks each
/// frame of the same WAL generation (same salts) against the stored checksum of the frame
/// before it, and reports the commit frames that are intact, i.e. committed transactions a
/// plain open would lose.
///
/// Format (all integers big-endian): a 32-byte header (magic `0x377f0682`/`0x377f0683`,
/// version, page size, checkpoint sequence, salt-1, salt-2, checksum of bytes 0..<24), then
/// frames of a 24-byte header (page number, database size in pages for a commit frame else 0,
/// salt-1, salt-2, cumulative checksum over the frame header's first 8 bytes and the page)
/// followed by the page. The magic's low bit selects the checksum word order.
package struct WALScan: Equatable, Sendable {
    /// Whether the 32-byte header is valid (if not, SQLite ignores the whole file).
    package var headerValid: Bool
    package var pageSize: Int
    /// Frames SQLite replays (up to and including the last commit before the first bad frame).
    package var replayedFrames: Int
    /// Byte length of the replayed prefix (header + replayed frames): truncating the WAL to
    /// this length keeps exactly what SQLite would replay.
    package var replayEnd: Int
    /// 1-based number of the first frame that fails, if any frame does.
    package var firstBadFrame: Int?
    /// Intact commit frames of this WAL generation that lie past the first bad frame:
    /// committed transactions that SQLite recovery would silently drop.
    package var lostCommits: Int

    package var isDamaged: Bool { lostCommits > 0 }
}

package enum WALScanner {
    static let headerSize = 32
    static let frameHeaderSize = 24

    /// Scans the WAL bytes. Never fails: malformed input is reported in the result.
    package static func scan(_ wal: [UInt8]) -> WALScan {
        var result = WALScan(headerValid: false, pageSize: 0, replayedFrames: 0, replayEnd: 0, firstBadFrame: nil, lostCommits: 0)
        guard wal.count >= headerSize else { return result }
        let magic = be32(wal, 0)
        guard magic & 0xFFFF_FFFE == 0x377F_0682 else { return headerDamage(wal, result) }
        let bigEndian = magic & 1 == 1
        var pageSize = Int(be32(wal, 8))
        if pageSize == 1 { pageSize = 65536 }
        guard be32(wal, 4) == 3_007_000, pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            return result
        }
        let headerSum = checksum(wal, 0, 24, seed: (0, 0), bigEndian: bigEndian)
        let stored = (be32(wal, 24), be32(wal, 28))
        result.pageSize = pageSize
        let salts = (be32(wal, 16), be32(wal, 20))
        guard headerSum == stored else { return headerDamage(wal, result) }
        result.headerValid = true
        result.replayEnd = headerSize

        let frameSize = frameHeaderSize + pageSize
        let frames = (wal.count - headerSize) / frameSize
        var running = headerSum
        var frame = 0
        // Replay, as SQLite's recovery does.
        while frame < frames {
            let at = headerSize + frame * frameSize
            guard frameIntact(wal, at, pageSize: pageSize, salts: salts, seed: running, bigEndian: bigEndian) else { break }
            running = (be32(wal, at + 16), be32(wal, at + 20))
            frame += 1
            if be32(wal, at + 4) != 0 {
                result.replayedFrames = frame
                result.replayEnd = headerSize + frame * frameSize
            }
        }
        guard frame < frames else { return result }
        result.firstBadFrame = frame + 1
        // Past the break: a frame of this generation whose checksum follows from the stored
        // checksum of the frame before it was written whole by SQLite; if it is a commit
        // frame, a committed transaction lies beyond the damage.
        var index = frame + 1
        while index < frames {
            let at = headerSize + index * frameSize
            let previous = at - frameSize
            let seed = (be32(wal, previous + 16), be32(wal, previous + 20))
            if be32(wal, at + 4) != 0,
               frameIntact(wal, at, pageSize: pageSize, salts: salts, seed: seed, bigEndian: bigEndian)
            {
                result.lostCommits += 1
            }
            index += 1
        }
        return result
    }

    /// A header that fails its own checks while frames after it carry equal salts and
    /// checksums that follow from the frame before: SQLite wrote those frames under a valid
    /// header, which was damaged since, and would now ignore every transaction in the file.
    /// (Salts come from the first frame and each frame is checked against its predecessor's
    /// stored checksum, so damage anywhere in the header is found.)
    private static func headerDamage(_ wal: [UInt8], _ partial: WALScan) -> WALScan {
        var result = partial
        result.headerValid = false
        guard wal.count >= headerSize + frameHeaderSize else { return result }
        let salts = (be32(wal, headerSize + 8), be32(wal, headerSize + 12))
        // The magic or page size may be what broke: try every page size and word order.
        for shift in 9...16 {
            let pageSize = 1 << shift
            let frameSize = frameHeaderSize + pageSize
            let frames = (wal.count - headerSize) / frameSize
            guard frames >= 2 else { break }
            for bigEndian in [true, false] {
                var intact = 0
                var commits = 0
                for i in 1..<frames {
                    let at = headerSize + i * frameSize
                    let seed = (be32(wal, at - frameSize + 16), be32(wal, at - frameSize + 20))
                    guard frameIntact(wal, at, pageSize: pageSize, salts: salts, seed: seed, bigEndian: bigEndian) else { continue }
                    intact += 1
                    if be32(wal, at + 4) != 0 { commits += 1 }
                }
                if intact > 0 {
                    result.pageSize = pageSize
                    result.firstBadFrame = 0
                    // The first frame's commit cannot be verified without the header; count
                    // it when it is marked as one.
                    result.lostCommits = commits + (be32(wal, headerSize + 4) != 0 ? 1 : 0)
                    return result
                }
            }
        }
        return result
    }

    private static func frameIntact(_ wal: [UInt8], _ at: Int, pageSize: Int, salts: (UInt32, UInt32),
                                    seed: (UInt32, UInt32), bigEndian: Bool) -> Bool
    {
        guard at + frameHeaderSize + pageSize <= wal.count else { return false }
        guard be32(wal, at) != 0, be32(wal, at + 8) == salts.0, be32(wal, at + 12) == salts.1 else { return false }
        var sum = checksum(wal, at, 8, seed: seed, bigEndian: bigEndian)
        sum = checksum(wal, at + frameHeaderSize, pageSize, seed: sum, bigEndian: bigEndian)
        return sum == (be32(wal, at + 16), be32(wal, at + 20))
    }

    /// SQLite's WAL checksum: over pairs of 32-bit words, `s0 += x0 + s1; s1 += x1 + s0`.
    static func checksum(_ bytes: [UInt8], _ start: Int, _ count: Int, seed: (UInt32, UInt32), bigEndian: Bool)
        -> (UInt32, UInt32)
    {
        var s0 = seed.0
        var s1 = seed.1
        bytes.withUnsafeBufferPointer { b in
            var i = start
            let end = start + count
            while i + 8 <= end {
                let x0: UInt32
                let x1: UInt32
                if bigEndian {
                    x0 = UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
                    x1 = UInt32(b[i + 4]) << 24 | UInt32(b[i + 5]) << 16 | UInt32(b[i + 6]) << 8 | UInt32(b[i + 7])
                } else {
                    x0 = UInt32(b[i + 3]) << 24 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i])
                    x1 = UInt32(b[i + 7]) << 24 | UInt32(b[i + 6]) << 16 | UInt32(b[i + 5]) << 8 | UInt32(b[i + 4])
                }
                s0 = s0 &+ x0 &+ s1
                s1 = s1 &+ x1 &+ s0
                i += 8
            }
        }
        return (s0, s1)
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
