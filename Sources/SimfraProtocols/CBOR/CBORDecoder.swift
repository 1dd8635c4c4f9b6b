import SimfraCore

/// Why a CBOR document could not be decoded. `offset` is the byte position where the
/// problem was detected.
package struct CBORError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Kind: Equatable, Sendable {
        /// Input ended in the middle of an item (also: empty input).
        case truncated
        /// Bytes left after the single top-level item.
        case trailingData
        /// Additional information 28...30, or 31 on a major type that cannot be indefinite.
        case reservedAdditionalInfo
        /// An integer (or negative integer) outside Int64.
        case integerOverflow
        /// A length that cannot fit in the remaining input.
        case lengthTooLarge
        /// Arrays, maps and tags nested deeper than the decoder's limit.
        case nestingTooDeep
        /// A "break" (0xFF) outside an indefinite-length item, or in a map value position.
        case unexpectedBreak
        /// A chunk of an indefinite-length string that is not a definite string of the same type.
        case invalidChunk
        /// A map key that is not a text string.
        case nonStringMapKey
        /// A text string that is not valid UTF-8.
        case invalidUTF8
        /// Simple value other than false/true/null/undefined, or a two-byte simple value < 32.
        case unsupportedSimpleValue
        /// Tag 1 wrapping something other than an integer or a float.
        case invalidTimestamp
    }

    package var kind: Kind
    package var offset: Int

    package init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    package var description: String { "CBOR error \(kind) at byte \(offset)" }
}

/// RFC 8949 decoder from bytes to `Value`, for Smithy rpcv2Cbor bodies.
///
/// - unsigned/negative integers → `.integer` (outside Int64 → `integerOverflow`)
/// - byte strings → `.blob`; text strings → `.string` (indefinite-length ones concatenated)
/// - arrays → `.list`; maps (text-string keys only; a repeated key keeps the last value) → `.object`
/// - false/true → `.bool`; null/undefined → `.null`; half/single/double floats → `.double`
/// - tag 1 (epoch seconds, integer or float) → `.timestamp`; any other tag is dropped and
///   its content decoded as is.
package struct CBORDecoder: Sendable {
    /// Maximum nesting of arrays, maps and tags; deeper input throws `nestingTooDeep`.
    package var maxDepth: Int

    package init(maxDepth: Int = 128) {
        self.maxDepth = maxDepth
    }

    /// Decodes exactly one item occupying all of `bytes`.
    package func decode(_ bytes: [UInt8]) throws(CBORError) -> Value {
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(CBORError) -> Value in try decode(buf) }
        }
        return try result.get()
    }

    package func decode(_ bytes: ArraySlice<UInt8>) throws(CBORError) -> Value {
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(CBORError) -> Value in try decode(buf) }
        }
        return try result.get()
    }

    package func decode(_ bytes: UnsafeRawBufferPointer) throws(CBORError) -> Value {
        var reader = CBORReader(bytes: bytes, maxDepth: maxDepth)
        let v = try reader.readItem(depth: 0)
        if reader.pos != bytes.count { throw CBORError(.trailingData, at: reader.pos) }
        return v
    }

    /// Convenience: `CBORDecoder().decode(bytes)`.
    package static func decode(_ bytes: [UInt8]) throws(CBORError) -> Value {
        try CBORDecoder().decode(bytes)
    }
}

/// What an item's initial byte plus argument resolved to.
private enum Head {
    case unsigned(UInt64)
    case negative(UInt64)  // value is -1 - n
    case bytes(UInt64)
    case text(UInt64)
    case array(UInt64)
    case map(UInt64)
    case bytesIndefinite
    case textIndefinite
    case arrayIndefinite
    case mapIndefinite
    case tag(UInt64)
    case simple(UInt8)
    case float(Double)
    case breakStop
}

private struct CBORReader {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var pos = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var remaining: Int { bytes.count - pos }

    @inline(__always)
    mutating func byte() throws(CBORError) -> UInt8 {
        guard pos < bytes.count else { throw CBORError(.truncated, at: pos) }
        let b = bytes[pos]
        pos += 1
        return b
    }

    @inline(__always)
    mutating func bigEndian(_ n: Int) throws(CBORError) -> UInt64 {
        guard remaining >= n else { throw CBORError(.truncated, at: bytes.count) }
        var v: UInt64 = 0
        for i in 0..<n {
            v = v << 8 | UInt64(bytes[pos + i])
        }
        pos += n
        return v
    }

    mutating func readHead() throws(CBORError) -> Head {
        let start = pos
        let ib = try byte()
        let major = ib >> 5
        let ai = ib & 0x1F

        if major == 7 {
            switch ai {
            case 0...23:
                return .simple(ai)
            case 24:
                let v = try byte()
                if v < 32 { throw CBORError(.unsupportedSimpleValue, at: start) }
                return .simple(v)
            case 25:
                return .float(halfToDouble(UInt16(try bigEndian(2))))
            case 26:
                return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
            case 27:
                return .float(Double(bitPattern: try bigEndian(8)))
            case 31:
                return .breakStop
            default:
                throw CBORError(.reservedAdditionalInfo, at: start)
            }
        }

        let arg: UInt64
        switch ai {
        case 0...23: arg = UInt64(ai)
        case 24: arg = try bigEndian(1)
        case 25: arg = try bigEndian(2)
        case 26: arg = try bigEndian(4)
        case 27: arg = try bigEndian(8)
        case 31:
            switch major {
            case 2: return .bytesIndefinite
            case 3: return .textIndefinite
            case 4: return .arrayIndefinite
            case 5: return .mapIndefinite
            default: throw CBORError(.reservedAdditionalInfo, at: start)
            }
        default:
            throw CBORError(.reservedAdditionalInfo, at: start)
        }

        switch major {
        case 0: return .unsigned(arg)
        case 1: return .negative(arg)
        case 2: return .bytes(arg)
        case 3: return .text(arg)
        case 4: return .array(arg)
        case 5: return .map(arg)
        default: return .tag(arg)
        }
    }

    /// Validates that `length` bytes (times `unit` minimum bytes each) can still follow.
    @inline(__always)
    func checkLength(_ length: UInt64, unit: UInt64 = 1, at start: Int) throws(CBORError) -> Int {
        let (need, overflow) = length.multipliedReportingOverflow(by: unit)
        guard !overflow, need <= UInt64(remaining) else { throw CBORError(.lengthTooLarge, at: start) }
        return Int(length)
    }

    mutating func readRaw(_ length: UInt64, at start: Int) throws(CBORError) -> UnsafeRawBufferPointer {
        let n = try checkLength(length, at: start)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
        pos += n
        return slice
    }

    func makeString(_ raw: UnsafeRawBufferPointer, at start: Int) throws(CBORError) -> String {
        guard let s = String(validating: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw CBORError(.invalidUTF8, at: start)
        }
        return s
    }

    mutating func readItem(depth: Int) throws(CBORError) -> Value {
        let start = pos
        let head = try readHead()
        return try readItem(head: head, start: start, depth: depth)
    }

    mutating func readItem(head: Head, start: Int, depth: Int) throws(CBORError) -> Value {
        switch head {
        case .unsigned(let n):
            guard n <= UInt64(Int64.max) else { throw CBORError(.integerOverflow, at: start) }
            return .integer(Int64(n))

        case .negative(let n):
            guard n <= UInt64(Int64.max) else { throw CBORError(.integerOverflow, at: start) }
            return .integer(-1 - Int64(n))

        case .bytes(let len):
            return .blob(Array(try readRaw(len, at: start)))

        case .text(let len):
            return .string(try makeString(try readRaw(len, at: start), at: start))

        case .bytesIndefinite:
            return .blob(try readChunks(major: 2))

        case .textIndefinite:
            let data = try readChunks(major: 3)
            guard let s = String(validating: data, as: UTF8.self) else {
                throw CBORError(.invalidUTF8, at: start)
            }
            return .string(s)

        case .array(let count):
            guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: start) }
            let n = try checkLength(count, at: start)
            var items: [Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                items.append(try readItem(depth: depth + 1))
            }
            return .list(items)

        case .arrayIndefinite:
            guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: start) }
            var items: [Value] = []
            while true {
                let s = pos
                let h = try readHead()
                if case .breakStop = h { break }
                items.append(try readItem(head: h, start: s, depth: depth + 1))
            }
            return .list(items)

        case .map(let count):
            guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: start) }
            let n = try checkLength(count, unit: 2, at: start)
            var obj: [String: Value] = [:]
            obj.reserveCapacity(n)
            for _ in 0..<n {
                let ks = pos
                let key = try readKey(head: try readHead(), start: ks)
                obj[key] = try readItem(depth: depth + 1)
            }
            return .object(obj)

        case .mapIndefinite:
            guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: start) }
            var obj: [String: Value] = [:]
            while true {
                let ks = pos
                let h = try readHead()
                if case .breakStop = h { break }
                let key = try readKey(head: h, start: ks)
                obj[key] = try readItem(depth: depth + 1)
            }
            return .object(obj)

        case .tag(let tag):
            guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: start) }
            let content = try readItem(depth: depth + 1)
            guard tag == 1 else { return content }
            switch content {
            case .integer(let i): return .timestamp(Double(i))
            case .double(let d) where d.isFinite: return .timestamp(d)
            default: throw CBORError(.invalidTimestamp, at: start)
            }

        case .simple(let v):
            switch v {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22, 23: return .null
            default: throw CBORError(.unsupportedSimpleValue, at: start)
            }

        case .float(let d):
            return .double(d)

        case .breakStop:
            throw CBORError(.unexpectedBreak, at: start)
        }
    }

    mutating func readKey(head: Head, start: Int) throws(CBORError) -> String {
        switch head {
        case .text, .textIndefinite:
            // Strings carry no nesting, so depth is irrelevant here.
            guard case .string(let s) = try readItem(head: head, start: start, depth: 0) else {
                throw CBORError(.nonStringMapKey, at: start)
            }
            return s
        case .breakStop:
            throw CBORError(.unexpectedBreak, at: start)
        default:
            throw CBORError(.nonStringMapKey, at: start)
        }
    }

    /// Concatenates the definite-length chunks of an indefinite byte/text string up to the break.
    mutating func readChunks(major: UInt8) throws(CBORError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let s = pos
            let ib = try byte()
            if ib == 0xFF { break }
            pos = s
            let h = try readHead()
            let len: UInt64
            switch (h, major) {
            case (.bytes(let n), 2), (.text(let n), 3): len = n
            default: throw CBORError(.invalidChunk, at: s)
            }
            out.append(contentsOf: try readRaw(len, at: s))
        }
        return out
    }
}

/// IEEE 754 binary16 → Double (RFC 8949 Appendix D).
@inline(__always)
private func halfToDouble(_ h: UInt16) -> Double {
    let exp = Int((h >> 10) & 0x1F)
    let mant = Double(h & 0x3FF)
    let v: Double
    if exp == 0 {
        v = mant * 0x1p-24
    } else if exp != 31 {
        v = (mant + 1024) * Double(sign: .plus, exponent: exp - 25, significand: 1)
    } else {
        v = mant == 0 ? .infinity : .nan
    }
    return h & 0x8000 != 0 ? -v : v
}
