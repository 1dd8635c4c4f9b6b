import SimfraCore
import SimfraProtocols

/// One message of AWS's event stream encoding (`application/vnd.amazon.eventstream`), as
/// StartLiveTail answers: a prelude (total length, headers length, CRC32 of the two), the
/// headers, the payload, and a CRC32 of everything before it. Big-endian throughout.
enum EventStreamFrame {
    /// Header values are all strings here (type 7: two-byte length, UTF-8).
    static func encode(headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        var h: [UInt8] = []
        for (name, value) in headers {
            let n = Array(name.utf8), v = Array(value.utf8)
            h.append(UInt8(n.count))
            h += n
            h.append(7)
            h.append(UInt8(v.count >> 8))
            h.append(UInt8(v.count & 0xFF))
            h += v
        }
        let total = 12 + h.count + payload.count + 4
        var out: [UInt8] = []
        out.reserveCapacity(total)
        append32(&out, UInt32(total))
        append32(&out, UInt32(h.count))
        append32(&out, CRC32.checksum(out))
        out += h
        out += payload
        append32(&out, CRC32.checksum(out))
        return out
    }

    /// An event of the stream (`:event-type` names the union member), JSON payload.
    static func event(_ type: String, json: String) -> [UInt8] {
        encode(headers: [(":event-type", type), (":content-type", "application/json"), (":message-type", "event")],
               payload: Array(json.utf8))
    }

    /// A modelled exception ending the stream (SessionTimeoutException).
    static func exception(_ type: String, message: String) -> [UInt8] {
        encode(headers: [(":exception-type", type), (":content-type", "application/json"), (":message-type", "exception")],
               payload: Array("{\"message\":\(JSONText.quoted(message))}".utf8))
    }

    private static func append32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
