import CZlib

/// gzip/deflate inflation for `Content-Encoding: gzip` request bodies (CloudWatch's
/// PutMetricData compresses by default), bounded so a small bomb cannot exhaust memory.
package enum Gzip {
    package enum Failure: Error { case corrupt, tooLarge }

    package static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header; 32 would auto-detect zlib too.
        guard inflateInit2_(&stream, 32 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        out.reserveCapacity(min(limit, input.count * 4 + 64))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        var input = input
        let result: Failure? = input.withUnsafeMutableBufferPointer { inBuf -> Failure? in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END { return .corrupt }
                if out.count + produced > limit { return .tooLarge }
                out.append(contentsOf: chunk[0..<produced])
                if status == Z_OK && stream.avail_in == 0 && produced == 0 { return .corrupt }
            } while status != Z_STREAM_END
            return nil
        }
        if let result { throw result }
        return out
    }
}
