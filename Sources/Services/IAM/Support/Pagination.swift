import SimfraCore

/// IAM's Marker/MaxItems paging. A marker is the (base64) sort key of the first item of the
/// next page, so deleting items between calls never skips or repeats the rest.
enum Pagination {
    struct Page<T> {
        var items: [T]
        var marker: String?

        /// `IsTruncated` and `Marker` as every IAM list operation answers them.
        func members(_ listName: String, _ render: (T) -> Value) -> [String: Value] {
            var out: [String: Value] = [listName: .list(items.map(render)), "IsTruncated": .bool(marker != nil)]
            if let marker { out["Marker"] = .string(marker) }
            return out
        }
    }

    static func page<T>(_ sorted: [T], key: (T) -> String, input: Value) throws(AWSError) -> Page<T> {
        let max = input.int("MaxItems") ?? 100
        var start = 0
        if let m = input.string("Marker") {
            guard let bytes = Base64.decode(m) else { throw IAMError.validation("Invalid Marker") }
            let k = String(decoding: bytes, as: UTF8.self)
            start = sorted.firstIndex { key($0) >= k } ?? sorted.count
        }
        let end = Swift.min(sorted.count, start + Swift.max(1, max))
        let items = Array(sorted[start..<end])
        let marker = end < sorted.count ? Base64.encode(key(sorted[end])) : nil
        return Page(items: items, marker: marker)
    }
}
