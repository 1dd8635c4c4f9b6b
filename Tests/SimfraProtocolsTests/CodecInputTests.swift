import Foundation
import SimfraCore
import SimfraModels
import Testing

@testable import SimfraProtocols

/// Request decoding against the exact requests botocore's serializers put on the wire, for
/// every protocol (scripts/gen_codec_fixtures.py → Fixtures/codec_inputs.json): each request
/// must resolve to the operation botocore called and decode to the parameters it was given.
struct CodecInputTests {
    /// One botocore-serialized request and the parameters it carries.
    struct Fixture: Decodable, Sendable {
        var name: String
        var service: String
        var wireProtocol: String
        var operation: String
        var method: String
        var path: String
        var query: String
        var headers: [[String]]
        var bodyB64: String
        var expected: Typed
        /// Members botocore put on the wire unasked (Content-Length, checksum headers, ...).
        var autoMembers: [String]
        var note: String?

        enum CodingKeys: String, CodingKey {
            case name, service, operation, method, path, query, headers, expected, note
            case wireProtocol = "protocol"
            case bodyB64 = "body_b64"
            case autoMembers = "auto_members"
        }
    }

    /// The fixture's typed JSON: numbers only appear inside `{"$int": n}`, `{"$double": x}`,
    /// `{"$ts": seconds}`; blobs are `{"$blob": base64}`.
    indirect enum Typed: Decodable, Sendable {
        case bool(Bool)
        case integer(Int64)
        case number(Double)
        case string(String)
        case array([Typed])
        case object([String: Typed])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let i = try? c.decode(Int64.self) {
                self = .integer(i)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let a = try? c.decode([Typed].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: Typed].self))
            }
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }

    static func load() throws -> [Fixture] {
        guard let url = Bundle.module.url(forResource: "Fixtures/codec_inputs", withExtension: "json") else {
            throw FixtureError(description: "Fixtures/codec_inputs.json is not in the test bundle")
        }
        return try JSONDecoder().decode([Fixture].self, from: Data(contentsOf: url))
    }

    static let fixtures: [Fixture] = (try? load()) ?? []

    // MARK: - Tests

    @Test func fixturesCoverEveryProtocol() throws {
        let all = try Self.load()
        #expect(all.count >= 60)
        #expect(Set(all.map(\.name)).count == all.count, "case names must be unique")
        let protocols = Set(all.map(\.wireProtocol))
        for wire in WireProtocol.allCases {
            #expect(protocols.contains(wire.rawValue), "no fixture for \(wire.rawValue)")
        }
        for f in all {
            #expect(WireProtocol(rawValue: f.wireProtocol) != nil, "\(f.name): unknown protocol \(f.wireProtocol)")
        }
    }

    @Test(arguments: CodecInputTests.fixtures.map(\.name))
    func decodesBotocoreRequest(_ name: String) throws {
        let f = try #require(Self.fixtures.first(where: { $0.name == name }))
        let model = try #require(ModelStore.shared.model(f.service), "\(name): Simfra ships no model for \(f.service)")
        let wire = try #require(WireProtocol(rawValue: f.wireProtocol), "\(name): unknown protocol \(f.wireProtocol)")
        let codec = ProtocolCodec(model: model, wire: wire, router: wire.isRest ? RestRouter(model: model) : nil)
        let body = try #require(Data(base64Encoded: f.bodyB64), "\(name): body_b64 is not base64")
        let request = AWSRequest(
            method: f.method,
            uri: f.query.isEmpty ? f.path : "\(f.path)?\(f.query)",
            headers: f.headers.map { (name: $0[0].lowercased(), value: $0[1]) },
            body: Array(body))
        let context = "\(name) (\(f.wireProtocol) \(f.service).\(f.operation): \(f.method) \(f.path)\(f.query.isEmpty ? "" : "?…"))"

        let resolved: ProtocolCodec.Resolved
        do {
            resolved = try codec.resolve(request)
        } catch {
            Issue.record("\(context): resolve threw \(Self.describe(error))")
            return
        }
        #expect(resolved.operation.name == f.operation,
                "\(context): resolved to \(resolved.operation.name), botocore called \(f.operation)")
        guard resolved.operation.name == f.operation else { return }

        let decoded: Value
        do {
            decoded = try codec.decodeInput(request, resolved)
        } catch {
            Issue.record("\(context): decodeInput threw \(Self.describe(error))")
            return
        }
        let expected = try Self.value(f.expected, path: "$")
        if let difference = Self.diff(expected, decoded, path: "$", ignoring: Set(f.autoMembers)) {
            Issue.record("\(context): \(difference)\(f.note.map { " [note: \($0)]" } ?? "")")
        }
    }

    // MARK: - Helpers

    static func describe(_ error: any Error) -> String {
        if let e = error as? AWSError { return "\(e.code): \(e.message)" }
        return "\(error)"
    }

    /// The fixture's typed JSON as the `Value` a decoder should produce.
    static func value(_ t: Typed, path: String) throws -> Value {
        switch t {
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .array(let a): return .list(try a.enumerated().map { try value($0.element, path: "\(path)[\($0.offset)]") })
        case .integer, .number: throw FixtureError(description: "bare number at \(path)")
        case .object(let o):
            if o.count == 1, let only = o.first, only.key.hasPrefix("$") {
                let tag = only.key
                switch (tag, only.value) {
                case ("$int", .integer(let i)): return .integer(i)
                case ("$int", .number(let d)) where d == d.rounded(): return .integer(Int64(d))
                case ("$double", .integer(let i)): return .double(Double(i))
                case ("$double", .number(let d)): return .double(d)
                case ("$double", .string("NaN")): return .double(.nan)
                case ("$double", .string("Infinity")): return .double(.infinity)
                case ("$double", .string("-Infinity")): return .double(-.infinity)
                case ("$ts", .integer(let i)): return .timestamp(Double(i))
                case ("$ts", .number(let d)): return .timestamp(d)
                case ("$blob", .string(let s)):
                    guard let d = Data(base64Encoded: s) else { throw FixtureError(description: "bad base64 at \(path)") }
                    return .blob(Array(d))
                default:
                    throw FixtureError(description: "bad typed value \(tag) at \(path)")
                }
            }
            var out: [String: Value] = [:]
            for (k, v) in o { out[k] = try value(v, path: child(path, k)) }
            return .object(out)
        }
    }

    static func child(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { (c: UInt8) -> Bool in
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    /// The first difference between what botocore sent and what Simfra decoded, as
    /// `path: expected …, decoded …`; nil when they agree. Doubles compare within 1e-9
    /// (relative, NaN equal to NaN), timestamps within a millisecond. Top-level members in
    /// `ignoring` may appear in the decoded value without being expected.
    static func diff(_ want: Value, _ got: Value, path: String, ignoring: Set<String> = []) -> String? {
        switch (want, got) {
        case (.object(let a), .object(let b)):
            for k in Set(a.keys).union(b.keys).sorted() {
                let p = child(path, k)
                switch (a[k], b[k]) {
                case (let x?, let y?):
                    if let d = diff(x, y, path: p) { return d }
                case (let x?, nil):
                    return "\(p): expected \(show(x)), decoded value has no such member"
                case (nil, let y?):
                    if ignoring.contains(k) { continue }
                    return "\(p): not expected, decoded \(show(y))"
                case (nil, nil):
                    continue
                }
            }
            return nil
        case (.list(let a), .list(let b)):
            for (i, (x, y)) in zip(a, b).enumerated() {
                if let d = diff(x, y, path: "\(path)[\(i)]") { return d }
            }
            if a.count != b.count {
                return "\(path): expected \(a.count) elements, decoded \(b.count)"
                    + (b.count > a.count ? " (first extra: \(show(b[a.count])))" : "")
            }
            return nil
        case (.double(let x), .double(let y)):
            if (x.isNaN && y.isNaN) || x == y || abs(x - y) <= 1e-9 * max(1, abs(x), abs(y)) { return nil }
            return "\(path): expected \(show(want)), decoded \(show(got))"
        case (.timestamp(let x), .timestamp(let y)):
            if abs(x - y) <= 0.001 + 1e-9 { return nil }
            return "\(path): expected \(show(want)), decoded \(show(got))"
        default:
            return want == got ? nil : "\(path): expected \(show(want)), decoded \(show(got))"
        }
    }

    static func show(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return "bool \(b)"
        case .integer(let i): return "integer \(i)"
        case .double(let d): return "double \(d)"
        case .string(let s):
            let shown = s.count > 120 ? String(s.prefix(120)) + "…" : s
            return "string \(String(reflecting: shown))"
        case .blob(let b):
            let hex = b.prefix(24).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
            return "blob(\(b.count) bytes: \(hex)\(b.count > 24 ? "…" : ""))"
        case .timestamp(let t): return "timestamp \(t) (\(SimfraProtocols.Timestamp.iso8601(t)))"
        case .list(let l): return "list of \(l.count)"
        case .object(let o): return "object {\(o.keys.sorted().joined(separator: ", "))}"
        }
    }
}
