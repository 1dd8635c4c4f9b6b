/// A numeric condition: `["=", 5]`, `[">", 0, "<=", 5]`, `["<", 10]`. Compared as doubles, the
/// way AWS compares JSON numbers (5, 5.0 and 5e0 are the same number).
struct NumericRange: Sendable, Equatable {
    var lower: Double?
    var lowerOpen: Bool
    var upper: Double?
    var upperOpen: Bool

    static func equals(_ d: Double) -> NumericRange {
        NumericRange(lower: d, lowerOpen: false, upper: d, upperOpen: false)
    }

    func contains(_ d: Double) -> Bool {
        if let lower {
            if lowerOpen ? !(d > lower) : !(d >= lower) { return false }
        }
        if let upper {
            if upperOpen ? !(d < upper) : !(d <= upper) { return false }
        }
        return true
    }
}
