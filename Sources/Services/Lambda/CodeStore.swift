import Crypto
import Foundation
import SimfraCore

/// Deployment packages on disk, content-addressed: `<root>/<account>/<sha256 hex>.zip`. The
/// path is built only from a 12-digit account id and a hex digest, never from a name a user
/// chose, so nothing can escape the root. With persistence the root is `<dataDir>/lambda/code`
/// (fsynced, renamed into place); without it a private temporary directory.
final class CodeStore: Sendable {
    let root: URL
    let durable: Bool

    init(root: URL, durable: Bool) {
        self.root = root
        self.durable = durable
    }

    static func temporary() throws -> CodeStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simfra-lambda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return CodeStore(root: dir, durable: false)
    }

    /// AWS's `CodeSha256`: the base64 of the zip's SHA-256.
    static func digest(_ zip: [UInt8]) -> (base64: String, hex: String) {
        let d = Array(SHA256.hash(data: zip))
        return (Base64.encode(d), d.map { String(format: "%02x", $0) }.joined())
    }

    static func hex(fromBase64 sha: String) -> String? {
        guard let d = Base64.decode(sha), d.count == 32 else { return nil }
        return d.map { String(format: "%02x", $0) }.joined()
    }

    func url(account: String, sha256: String) -> URL? {
        guard account.count == 12, account.allSatisfy(\.isNumber), let hex = Self.hex(fromBase64: sha256) else { return nil }
        return root.appendingPathComponent(account).appendingPathComponent(hex + ".zip")
    }

    /// Writes the zip (once: the same content is the same file) and returns its `CodeSha256`.
    func put(account: String, zip: [UInt8]) throws -> String {
        let sha = Self.digest(zip).base64
        guard let url = url(account: account, sha256: sha) else { throw AWSError.internalFailure("bad account id \(account)") }
        if FileManager.default.fileExists(atPath: url.path) { return sha }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
        let data = Data(zip)
        if durable {
            FileManager.default.createFile(atPath: tmp.path, contents: nil)
            let h = try FileHandle(forWritingTo: tmp)
            try h.write(contentsOf: data)
            try h.synchronize()
            try h.close()
        } else {
            try data.write(to: tmp)
        }
        guard rename(tmp.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: tmp)
            throw AWSError.internalFailure("cannot store the function's code (errno \(errno))")
        }
        return sha
    }

    func read(account: String, sha256: String) -> [UInt8]? {
        guard let url = url(account: account, sha256: sha256), let d = FileManager.default.contents(atPath: url.path) else { return nil }
        return Array(d)
    }

    func remove(account: String, sha256: String) {
        guard let url = url(account: account, sha256: sha256) else { return }
        try? FileManager.default.removeItem(at: url)
    }

    /// A zip starts with a local file header, or is an empty archive's end-of-directory record.
    static func looksLikeZip(_ b: [UInt8]) -> Bool {
        b.count >= 22 && b[0] == 0x50 && b[1] == 0x4B && ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6))
    }
}
