import CZlib

/// A minimal PNG writer: 8-bit RGB, no interlace, filter 0 on every row, one IDAT compressed
/// with zlib, CRCs from zlib's crc32.
enum PNGEncoder {
    static func encode(_ canvas: WidgetCanvas) -> [UInt8]? {
        var raw: [UInt8] = []
        raw.reserveCapacity((canvas.width * 3 + 1) * canvas.height)
        for y in 0..<canvas.height {
            raw.append(0)
            raw.append(contentsOf: canvas.pixels[(y * canvas.width * 3)..<((y + 1) * canvas.width * 3)])
        }
        guard let compressed = deflate(raw) else { return nil }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += be32(UInt32(canvas.width)) + be32(UInt32(canvas.height))
        header += [8, 2, 0, 0, 0] // depth 8, colour type 2 (RGB), deflate, filter method 0, no interlace
        chunk(&out, "IHDR", header)
        chunk(&out, "IDAT", compressed)
        chunk(&out, "IEND", [])
        return out
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func chunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        let body = Array(type.utf8) + data
        out += be32(UInt32(data.count)) + body
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        out += be32(UInt32(crc))
    }

    /// zlib format (header and Adler-32), as PNG's IDAT requires.
    static func deflate(_ input: [UInt8]) -> [UInt8]? {
        var length = compressBound(UInt(input.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, UInt(i.count), Z_DEFAULT_COMPRESSION) }
        }
        guard status == Z_OK else { return nil }
        return Array(out.prefix(Int(length)))
    }
}
