import Testing

@testable import SimfraDynamoDB

/// Randomised comparison of ItemStore against a naive model: every query range, direction
/// and resume point, and scans resumed page by page across segments.
@Suite struct StorePropertyTests {
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    @Test func queriesMatchNaiveModel() {
        var rng = RNG(state: 42)
        var store = ItemStore()
        var model: [KeyPart: [KeyPart: Item]] = [:]
        func num(_ i: Int) -> KeyPart { .n(DDBNumber.parse(String(i))!) }
        for _ in 0..<3000 {
            let pk = KeyPart.s("p\(Int.random(in: 0..<5, using: &rng))")
            let sk = num(Int.random(in: -50..<50, using: &rng))
            if Int.random(in: 0..<4, using: &rng) == 0 {
                store.remove(pk, [sk])
                model[pk]?[sk] = nil
            } else {
                store.put(pk, [sk], ["v": .s("x")])
                model[pk, default: [:]][sk] = ["v": .s("x")]
            }
        }
        #expect(store.count == model.values.reduce(0) { $0 + $1.count })
        for _ in 0..<500 {
            let pk = KeyPart.s("p\(Int.random(in: 0..<6, using: &rng))")
            let a = Int.random(in: -60..<60, using: &rng), b = Int.random(in: -60..<60, using: &rng)
            let (lo, hi) = (min(a, b), max(a, b))
            let ranges: [(SortRange, (Int) -> Bool)] = [
                (.eq(num(lo)), { $0 == lo }), (.lt(num(lo)), { $0 < lo }), (.le(num(lo)), { $0 <= lo }),
                (.gt(num(lo)), { $0 > lo }), (.ge(num(lo)), { $0 >= lo }), (.between(num(lo), num(hi)), { $0 >= lo && $0 <= hi }),
            ]
            let (range, pred) = ranges[Int.random(in: 0..<ranges.count, using: &rng)]
            let forward = Bool.random(using: &rng)
            let start: Int? = Bool.random(using: &rng) ? Int.random(in: -60..<60, using: &rng) : nil
            let got = store.query(pk, range: range, forward: forward, exclusiveStart: start.map { [num($0)] })
            let gotKeys = (forward ? Array(got) : got.reversed()).map { $0.sort[0] }
            var want = (model[pk] ?? [:]).keys.filter { k in
                guard case .n(let n) = k else { return false }
                let i = Int(n.description)!
                guard pred(i) else { return false }
                if let start { return forward ? i > start : i < start }
                return true
            }.sorted()
            if !forward { want.reverse() }
            #expect(gotKeys == want)
        }
        // Scans resumed after every item visit the whole table once, per segment.
        for total in [1, 3] {
            var seen: [[KeyPart]] = []
            for seg in 0..<total {
                var start: (KeyPart, [KeyPart])?
                while true {
                    var next: (KeyPart, [KeyPart])?
                    store.scan(after: start, segment: seg, totalSegments: total) { pk, e in
                        next = (pk, e.sort)
                        return false
                    }
                    guard let n = next else { break }
                    seen.append([n.0] + n.1)
                    start = n
                }
            }
            #expect(seen.count == store.count)
            #expect(Set(seen).count == store.count)
        }
    }
}
