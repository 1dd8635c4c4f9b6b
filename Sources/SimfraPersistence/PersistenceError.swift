/// Everything that can go wrong in the persistence layer. Startup errors (`badKey`,
/// `wrongKey`, `corrupt`, `newerSchema`) are meant to be printed as-is and stop the process.
public enum PersistenceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `SIMFRA_PERSISTENCE_KEY` or `.master_key` is malformed.
    case badKey(String)
    /// The key does not open the existing database's key check.
    case wrongKey(String)
    /// A file is not what it should be (not SQLite, failed integrity check, sealed value fails
    /// authentication).
    case corrupt(String)
    /// The database was written by a newer Simfra.
    case newerSchema(String)
    /// A file-system operation failed.
    case io(String)
    /// SQLite returned an error.
    case sqlite(code: Int32, message: String)

    public var description: String {
        switch self {
        case .badKey(let message): return "persistence: bad key: \(message)"
        case .wrongKey(let message): return "persistence: wrong key: \(message)"
        case .corrupt(let message): return "persistence: corrupt data: \(message)"
        case .newerSchema(let message): return "persistence: newer schema: \(message)"
        case .io(let message): return "persistence: I/O error: \(message)"
        case .sqlite(let code, let message): return "persistence: SQLite error \(code): \(message)"
        }
    }
}
