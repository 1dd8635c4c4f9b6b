// libFuzzer entry for the XML reader (built by scripts/fuzz/run.sh, never by SwiftPM).
// Any input must either parse into a tree within the depth limit or throw a Failure;
// a crash, hang, or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let root = try? XMLReader.parse(bytes) else { return 0 }
    // Walk the tree without recursion, checking the invariants the codec relies on.
    var stack: [(XMLElement, Int)] = [(root, 1)]
    while let (e, depth) = stack.popLast() {
        precondition(depth <= XMLReader.maxDepth + 1, "tree deeper than the limit")
        precondition(!e.name.isEmpty && !e.name.contains(":"), "element name not a local name")
        for c in e.children { stack.append((c, depth + 1)) }
    }
    return 0
}
