import Crypto
import Foundation
import SimfraCore

extension Hex {
    /// Hex of a digest or MAC through its contiguous bytes (the generic Sequence path walks
    /// swift-crypto's iterator and cost 4% of a request).
    package static func encode<D: ContiguousBytes>(digest: D) -> String {
        digest.withUnsafeBytes { Hex.encode($0) }
    }
}
