import Foundation
import Synchronization

/// How each runtime family is started on this machine: Python functions run Simfra's own
/// runtime client with the machine's `python3`; `provided.*` functions run their `bootstrap`.
enum RuntimeCommand {
    enum Family: Sendable { case python, node, provided }

    static func family(_ runtime: String) -> Family? {
        if runtime.hasPrefix("python3.") { return .python }
        if runtime.hasPrefix("nodejs") { return .node }
        if runtime.hasPrefix("provided") { return .provided }
        return nil
    }

    /// The interpreter `python3` on the server's PATH resolves to (a pyenv shim resolved once,
    /// so the function's environment need not carry the shim's own variables).
    static func python() -> String? {
        if let known = pythonPath.withLock({ $0 }) { return known }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !path.isEmpty
        else { return nil }
        pythonPath.withLock { $0 = path }
        return path
    }

    private static let pythonPath = Mutex<String?>(nil)

    /// The machine's `node`, looked up on the server's PATH once.
    static func node() -> String? {
        if let known = nodePath.withLock({ $0 }) { return known }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        guard let found = dirs.map({ "\($0)/node" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        nodePath.withLock { $0 = found }
        return found
    }

    private static let nodePath = Mutex<String?>(nil)

    /// Unpacks a zip into `directory` with Python's zipfile (which refuses members that would
    /// land outside it), keeping the members' Unix modes so a `bootstrap` stays executable.
    static func unzip(_ zip: URL, into directory: URL) throws {
        guard let python = python() else { throw UnpackError(message: "python3 is not available to unpack the code") }
        let script = """
            import os, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            for info in z.infolist():
                path = z.extract(info, sys.argv[2])
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(path, mode)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, zip.path, directory.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw UnpackError(message: String(decoding: message, as: UTF8.self))
        }
    }

    struct UnpackError: Error { var message: String }
}
