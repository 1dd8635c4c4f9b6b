import Testing

@testable import SimfraDynamoDB

struct ChunkedSortedArrayTests {
    func contents(_ a: ChunkedSortedArray<Int>) -> [Int] {
        var out: [Int] = []
        var p = a.startPosition
        while let e = a.element(at: p) {
            out.append(e)
            p = a.position(after: p)
        }
        return out
    }

    @Test func matchesASortedArrayUnderRandomInsertsAndRemoves() {
        var rng = SystemRandomNumberGenerator()
        var a = ChunkedSortedArray<Int>()
        var reference: [Int] = []
        for _ in 0..<5000 {
            let v = Int.random(in: 0..<3000, using: &rng)
            if Bool.random(using: &rng), let i = reference.firstIndex(of: v) {
                reference.remove(at: i)
                a.remove(v)
            } else if !reference.contains(v) {
                reference.append(v)
                reference.sort()
                a.insert(v)
            }
        }
        #expect(contents(a) == reference)
        #expect(a.count == reference.count)
        for probe in [-1, 0, 1500, 2999, 5000] {
            let p = a.lowerBound(probe)
            #expect(a.element(at: p) == reference.first { $0 >= probe })
        }
    }

    @Test func bulkAssignThenInsert() {
        var a = ChunkedSortedArray<Int>()
        a.assign(sorted: Array(stride(from: 0, to: 10000, by: 2)))
        a.insert(5)
        a.insert(10001)
        let c = contents(a)
        #expect(c.count == 5002)
        #expect(c == c.sorted())
        #expect(a.element(at: a.lowerBound(5)) == 5)
    }
}
