import Foundation

/// The three timestamp formats of AWS models, parsed and written without DateFormatter.
package enum Timestamp {
    package enum Format: String, Sendable {
        case iso8601, unixTimestamp, rfc822
    }

    package static func format(_ t: Double, _ f: Format) -> String {
        switch f {
        case .unixTimestamp:
            if t == t.rounded() { return String(Int64(t)) }
            return String(format: "%.3f", t)
        case .iso8601: return iso8601(t)
        case .rfc822: return rfc822(t)
        }
    }

    /// `2026-11-30T12:00:00Z`, or with milliseconds when the value has them.
    package static func iso8601(_ t: Double) -> String {
        let whole = t.rounded(.down)
        let ms = Int(((t - whole) * 1000).rounded())
        let (y, mo, d, h, mi, s) = parts(Int(whole))
        var out = "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2))"
        if ms > 0 && ms < 1000 { out += "." + pad(ms, 3) }
        return out + "Z"
    }

    private static let dayNames = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 30 Nov 2026 12:00:00 GMT`
    package static func rfc822(_ t: Double) -> String {
        let secs = Int(t.rounded(.down))
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let (y, mo, d, h, mi, s) = parts(secs)
        let dow = dayNames[((days % 7) + 7) % 7]
        return "\(dow), \(pad(d, 2)) \(monthNames[mo - 1]) \(pad(y, 4)) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)) GMT"
    }

    private static func parts(_ secs: Int) -> (Int, Int, Int, Int, Int, Int) {
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        let (y, m, d) = civilFromDays(days)
        return (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
    }

    private static func pad(_ v: Int, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }

    /// Parse any of the three formats (clients are not always faithful to the model's).
    package static func parse(_ s: String) -> Double? {
        if let d = Double(s), !s.contains("-") || s.hasPrefix("-") { return d }
        return parseISO8601(s) ?? parseRFC822(s)
    }

    package static func parseISO8601(_ s: String) -> Double? {
        let u = Array(s.utf8)
        guard u.count >= 19 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for k in a..<(a + n) {
                guard u[k] >= 0x30 && u[k] <= 0x39 else { return nil }
                v = v * 10 + Int(u[k] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), u[4] == 0x2D, let mo = num(5, 2), u[7] == 0x2D, let d = num(8, 2),
            u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == 0x20,
            let h = num(11, 2), u[13] == 0x3A, let mi = num(14, 2), u[16] == 0x3A, let se = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        var i = 19
        var frac = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 {
                frac += Double(u[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < u.count {
            if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
                i += 1
            } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
                let sign = u[i] == UInt8(ascii: "+") ? 1 : -1
                guard let oh = num(i + 1, 2) else { return nil }
                var j = i + 3
                if j < u.count, u[j] == 0x3A { j += 1 }
                guard let om = num(j, 2) else { return nil }
                offset = sign * (oh * 3600 + om * 60)
                i = j + 2
            } else {
                return nil
            }
        }
        guard i == u.count else { return nil }
        let secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset
        return Double(secs) + frac
    }

    package static func parseRFC822(_ s: String) -> Double? {
        // "Sun, 30 Nov 2026 12:00:00 GMT"
        let parts = s.split(separator: " ")
        guard parts.count == 6, let d = Int(parts[1]), let mi = monthNames.firstIndex(of: String(parts[2])),
            let y = Int(parts[3])
        else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Int(hms[0]), let m = Int(hms[1]), let sec = Int(hms[2]) else { return nil }
        return Double(daysFromCivil(y, mi + 1, d) * 86400 + h * 3600 + m * 60 + sec)
    }

    private static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int { AmzDate.daysFromCivil(y, m, d) }
    private static func civilFromDays(_ z: Int) -> (Int, Int, Int) { AmzDate.civilFromDays(z) }
}
