// libFuzzer entry for the awsJson/restJson body reader (built by scripts/fuzz/run.sh).
// Compiled into one module with SimfraCore's sources, so `Value` is local.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let v = try? JSONReader.parse(bytes) else { return 0 }
    // Invariant: a parsed document is no deeper than the reader's limit.
    var stack: [(Value, Int)] = [(v, 1)]
    while let (x, depth) = stack.popLast() {
        precondition(depth <= 257, "value deeper than the reader's limit")
        switch x {
        case .list(let l): for e in l { stack.append((e, depth + 1)) }
        case .object(let o): for e in o.values { stack.append((e, depth + 1)) }
        default: break
        }
    }
    return 0
}
