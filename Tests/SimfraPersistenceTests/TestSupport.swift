import Foundation

@testable import SimfraPersistence

/// A fresh directory path under the system temp dir (not created); removed by `cleanup()`.
struct TempDir {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("simfra-persistence-test-\(UUID().uuidString)").path
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    var db: String { "\(path)/simfra.db" }
    var wal: String { "\(path)/simfra.db-wal" }
    var masterKey: String { "\(path)/.master_key" }

    func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Every name in the directory with its contents (directories as nil), recursively.
    func snapshot() -> [String: [UInt8]?] {
        var out: [String: [UInt8]?] = [:]
        guard let e = FileManager.default.enumerator(atPath: path) else { return out }
        while let name = e.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: "\(path)/\(name)", isDirectory: &isDir)
            out[name] = isDir.boolValue ? .some(nil) : .some(bytes("\(path)/\(name)"))
        }
        return out
    }
}

func key(_ id: String, service: String = "iam", kind: String = "user", account: String = "000000000000", region: String = "")
    -> RecordKey
{
    RecordKey(service: service, kind: kind, account: account, region: region, id: id)
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    let first = needle[0]
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}

/// Runs raw SQL against a database file with our own wrapper (bypassing the store).
func rawSQL(_ path: String, _ sql: String) throws {
    let db = try SQLiteConnection(path: path, flags: SQLiteConnection.readWrite)
    defer { db.close() }
    try db.exec(sql)
}
