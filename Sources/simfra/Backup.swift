import Foundation
import SimfraPersistence

/// `simfra backup <dir>`: a consistent snapshot of `SIMFRA_DATA_DIR` into a new directory,
/// safe while a server is running on that data dir (see `DataDirBackup`). Returns the exit
/// code: 0 done, 2 usage or failure (one line on stderr).
enum BackupCommand {
    static func main(_ arguments: [String], environment: [String: String]) -> Int32 {
        guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
            fail("usage: SIMFRA_DATA_DIR=<data dir> simfra backup <new directory>")
            return 2
        }
        guard let dataDir = environment["SIMFRA_DATA_DIR"], !dataDir.isEmpty else {
            fail("backup: set SIMFRA_DATA_DIR to the data directory to back up")
            return 2
        }
        do {
            let summary = try DataDirBackup.run(dataDir: dataDir, to: arguments[0])
            print("simfra: backed up \(dataDir) to \(arguments[0]) (\(summary.bodies) S3 bodies, \(summary.linked) hard-linked, \(summary.bytes) bytes)")
            return 0
        } catch {
            fail("backup failed: \(error.description)")
            return 2
        }
    }

    private static func fail(_ line: String) {
        FileHandle.standardError.write(Data("simfra: \(line)\n".utf8))
    }
}
