#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Reads `count` bytes at `offset` into the buffer; false when they are not all there.
    typealias Reader = (_ offset: Int, _ into: UnsafeMutableRawBufferPointer) -> Bool

    /// Scans WAL bytes held in memory (tests). Never fails: malformed input is reported.
    package static func scan(_ wal: [UInt8]) -> WALScan {
        wal.withUnsafeBytes { bytes in
            scan(size: bytes.count) { offset, into in
                guard offset >= 0, offset + into.count <= bytes.count else { return false }
                into.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + into.count)]))
                return true
            }
        }
    }

    /// Scans a WAL file one frame at a time (a WAL can reach hundreds of MiB), reading only.
    package static func scan(path: String) throws(PersistenceError) -> WALScan {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileIO.fail("cannot open", path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileIO.fail("cannot stat", path) }
        return scan(size: Int(st.st_size)) { offset, into in
            var done = 0
            while done < into.count {
                let n = pread(fd, into.baseAddress! + done, into.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    static func scan(size: Int, read: Reader) -> WALScan {
        var result = WALScan(headerValid: false, pageSize: 0, replayedFrames: 0, replayEnd: 0, firstBadFrame: nil, lostCommits: 0)
        guard size >= headerSize else { return result }
        var header = [UInt8](repeating: 0, count: headerSize)
        guard header.withUnsafeMutableBytes({ read(0, $0) }) else { return result }
        let magic = be32(header, 0)
        guard magic & 0xFFFF_FFFE == 0x377F_0682 else { return headerDamage(size: size, read: read, result) }
        let bigEndian = magic & 1 == 1
        var pageSize = Int(be32(header, 8))
        if pageSize == 1 { pageSize = 65536 }
        guard be32(header, 4) == 3_007_000, pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            return headerDamage(size: size, read: read, result)
        }
        let headerSum = header.withUnsafeBytes { checksum($0, 0, 24, seed: (0, 0), bigEndian: bigEndian) }
        result.pageSize = pageSize
        let salts = (be32(header, 16), be32(header, 20))
        guard headerSum == (be32(header, 24), be32(header, 28)) else { return headerDamage(size: size, read: read, result) }
        result.headerValid = true
        result.replayEnd = headerSize

        let frameSize = frameHeaderSize + pageSize
        let frames = (size - headerSize) / frameSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 8)
        defer { buffer.deallocate() }
        let frame = UnsafeRawBufferPointer(buffer)
        var running = headerSum
        var index = 0
        // Replay, as SQLite's recovery does.
        while index < frames {
            guard read(headerSize + index * frameSize, buffer),
                  frameIntact(frame, pageSize: pageSize, salts: salts, seed: running, bigEndian: bigEndian)
            else { break }
            running = stored(frame)
            index += 1
            if be32(frame, 4) != 0 {
                result.replayedFrames = index
                result.replayEnd = headerSize + index * frameSize
            }
        }
        guard index < frames else { return result }
        result.firstBadFrame = index + 1
        // Past the break: a frame of this generation whose checksum follows from the stored
        // checksum of the frame before it was written whole by SQLite; if it is a commit
        // frame, a committed transaction lies beyond the damage.
        var previous: (UInt32, UInt32)? = read(headerSize + index * frameSize, buffer) ? stored(frame) : nil
        index += 1
        while index < frames {
            guard read(headerSize + index * frameSize, buffer) else { break }
            if let seed = previous, be32(frame, 4) != 0,
               frameIntact(frame, pageSize: pageSize, salts: salts, seed: seed, bigEndian: bigEndian)
            {
                result.lostCommits += 1
            }
            previous = stored(frame)
            index += 1
        }
        return result
    }

    /// A header that fails its own checks while frames after it carry equal salts and
    /// checksums that follow from the frame before: SQLite wrote those frames under a valid
    /// header, which was damaged since, and would now ignore every transaction in the file.
    /// (Salts come from the first frame and each frame is checked against its predecessor's
    /// stored checksum, so damage anywhere in the header is found.)
    private static func headerDamage(size: Int, read: Reader, _ partial: WALScan) -> WALScan {
        var result = partial
        result.headerValid = false
        var first = [UInt8](repeating: 0, count: frameHeaderSize)
        guard size >= headerSize + frameHeaderSize, first.withUnsafeMutableBytes({ read(headerSize, $0) }) else { return result }
        let salts = (be32(first, 8), be32(first, 12))
        // The magic or page size may be what broke: try every page size and word order.
        for shift in 9...16 {
            let pageSize = 1 << shift
            let frameSize = frameHeaderSize + pageSize
            let frames = (size - headerSize) / frameSize
            guard frames >= 2 else { break }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 8)
            defer { buffer.deallocate() }
            let frame = UnsafeRawBufferPointer(buffer)
            for bigEndian in [true, false] {
                var intact = 0
                var commits = 0
                guard read(headerSize, buffer) else { return result }
                var previous = stored(frame)
                for i in 1..<frames {
                    guard read(headerSize + i * frameSize, buffer) else { break }
                    if frameIntact(frame, pageSize: pageSize, salts: salts, seed: previous, bigEndian: bigEndian) {
                        intact += 1
                        if be32(frame, 4) != 0 { commits += 1 }
                    }
                    previous = stored(frame)
                }
                if intact > 0 {
                    result.pageSize = pageSize
                    result.firstBadFrame = 0
                    // The first frame's commit cannot be verified without the header; count
                    // it when it is marked as one.
                    result.lostCommits = commits + (be32(first, 4) != 0 ? 1 : 0)
                    return result
                }
            }
        }
        return result
    }

    /// Salts match, page number non-zero, and the checksum over the frame header's first
    /// 8 bytes and the page, seeded with `seed`, equals the stored one.
    private static func frameIntact(_ frame: UnsafeRawBufferPointer, pageSize: Int, salts: (UInt32, UInt32),
                                    seed: (UInt32, UInt32), bigEndian: Bool) -> Bool
    {
        guard be32(frame, 0) != 0, be32(frame, 8) == salts.0, be32(frame, 12) == salts.1 else { return false }
        var sum = checksum(frame, 0, 8, seed: seed, bigEndian: bigEndian)
        sum = checksum(frame, frameHeaderSize, pageSize, seed: sum, bigEndian: bigEndian)
        return sum == stored(frame)
    }

    private static func stored(_ frame: UnsafeRawBufferPointer) -> (UInt32, UInt32) {
        (be32(frame, 16), be32(frame, 20))
    }

    /// SQLite's WAL checksum: over pairs of 32-bit words, `s0 += x0 + s1; s1 += x1 + s0`.
    static func checksum(_ b: UnsafeRawBufferPointer, _ start: Int, _ count: Int, seed: (UInt32, UInt32), bigEndian: Bool)
        -> (UInt32, UInt32)
    {
        var s0 = seed.0
        var s1 = seed.1
        var i = start
        let end = start + count
        while i + 8 <= end {
            let w0 = b.loadUnaligned(fromByteOffset: i, as: UInt32.self)
            let w1 = b.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self)
            let x0 = bigEndian ? UInt32(bigEndian: w0) : UInt32(littleEndian: w0)
            let x1 = bigEndian ? UInt32(bigEndian: w1) : UInt32(littleEndian: w1)
            s0 = s0 &+ x0 &+ s1
            s1 = s1 &+ x1 &+ s0
            i += 8
        }
        return (s0, s1)
    }

    static func be32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
