import SimfraCore
import Testing

@testable import SimfraEventing

/// Hostile patterns end in a PatternError, never a crash or a hang.
@Suite struct PatternsRobustnessTests {
    @Test func randomBytesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,-0123456789.eE truefalsnul\"#.utf8) + [0x0A, 0xC3, 0xA9]
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? EventPattern(json: text)
            _ = try? FilterPolicy(json: text, scope: .messageBody)
        }
    }

    @Test func mutatedValidPatternsNeverCrash() {
        let seeds = [
            #"{"a":[{"numeric":[">",0,"<=",5]}],"$or":[{"b":[{"anything-but":{"prefix":["x"]}}]},{"c":{"d":[{"cidr":"10.0.0.0/8"}]}}]}"#,
            #"{"f":[{"wildcard":"a*b\\*c"},{"suffix":{"equals-ignore-case":"X"}},{"exists":false},null,true,1.5]}"#,
        ]
        var rng = SystemRandomNumberGenerator()
        for seed in seeds {
            let b = Array(seed.utf8)
            for _ in 0..<2000 {
                var m = b
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0..<m.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: m.remove(at: i)
                    case 1: m.insert(b.randomElement(using: &rng)!, at: i)
                    default: m[i] = b.randomElement(using: &rng)!
                    }
                    if m.isEmpty { m = [0x7B] }
                }
                let text = String(decoding: m, as: UTF8.self)
                if let p = try? EventPattern(json: text) { _ = p.matches(json(#"{"a":1,"f":"ab*c","c":{"d":"10.1.1.1"}}"#)) }
                _ = try? FilterPolicy(json: text, scope: .messageAttributes)
            }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: #"{"a":"#, count: 5000) + "[1]" + String(repeating: "}", count: 5000)
        let reason = eventPatternError(deep)
        #expect(reason?.hasPrefix("Nesting depth exceeds the maximum allowed (100)") == true)
        let deepArrays = #"{"a":"# + String(repeating: "[", count: 5000)
        #expect(eventPatternError(deepArrays) != nil)
        let ok = String(repeating: #"{"a":"#, count: 50) + "[1]" + String(repeating: "}", count: 50)
        #expect(eventPatternError(ok) == nil)
    }

    @Test func hugeArrays() throws {
        let values = (0..<20000).map { "\"v\($0)\"" }.joined(separator: ",")
        let p = try EventPattern(json: "{\"a\":[\(values)]}")
        #expect(p.matches(json(#"{"a":"v19999"}"#)))
        let eventValues = (0..<20000).map { "\($0)" }.joined(separator: ",")
        let q = try EventPattern(json: #"{"a":[{"numeric":[">",19998]}]}"#)
        #expect(q.matches(json("{\"a\":[\(eventValues)]}")))
    }

    @Test func hundredRulesAgainstAnEventIsFast() throws {
        let rules = try (0..<100).map { i in
            try EventPattern(json: #"{"source":["app.\#(i)"],"detail":{"n":[{"numeric":[">",\#(i)]}],"s":[{"prefix":"x"}]}}"#)
        }
        let event = json(#"{"source":"app.42","detail-type":"t","detail":{"n":50,"s":"xyz","other":[1,2,3]}}"#)
        let start = ContinuousClock.now
        var hits = 0
        for _ in 0..<1000 { for r in rules where r.matches(event) { hits += 1 } }
        #expect(hits == 1000)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}

@Suite struct PatternsWildcardCostTests {
    @Test func hostileWildcardsAreBoundedInTime() {
        let start = ContinuousClock.now
        let long = String(repeating: "ab*", count: 1300)
        _ = eventPatternError("{\"a\":[{\"wildcard\":\"\(long)\"}]}")
        let literal = String(repeating: "x", count: 4000) + "*"
        _ = eventPatternError("{\"a\":[{\"wildcard\":\"\(literal)\"}]}")
        let many = (0..<200).map { "\"\($0)*\($0)*\"" }.joined(separator: ",")
        _ = eventPatternError("{\"a\":[{\"anything-but\":{\"wildcard\":[\(many)]}}]}")
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
