import CSQLite

/// A thin wrapper over one `sqlite3*` handle. Not thread-safe: each connection is used by
/// one thread at a time (the writer thread owns the write connection; the read connection
/// sits behind a `Mutex`). Connections are opened with `SQLITE_OPEN_NOMUTEX` for that reason.
package final class SQLiteConnection {
    package let path: String
    private(set) var handle: OpaquePointer?
    private var statementCache: [String: SQLiteStatement] = [:]

    package static let readOnly: Int32 = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
    package static let readWriteCreate: Int32 =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
    package static let readWrite: Int32 = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE

    package init(path: String, flags: Int32) throws(PersistenceError) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        if rc != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw .sqlite(code: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the handle. Idempotent.
    package func close() {
        for (_, statement) in statementCache { statement.finalize() }
        statementCache.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    package var errorMessage: String {
        guard let handle else { return "connection closed" }
        return String(cString: sqlite3_errmsg(handle))
    }

    func error(_ rc: Int32, _ context: String? = nil) -> PersistenceError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return .sqlite(code: rc, message: context.map { "\($0): \(message)" } ?? message)
    }

    private func requireHandle() throws(PersistenceError) -> OpaquePointer {
        guard let handle else { throw .sqlite(code: SQLITE_MISUSE, message: "connection to \(path) is closed") }
        return handle
    }

    /// Runs one or more SQL statements that return no rows worth reading.
    package func exec(_ sql: String) throws(PersistenceError) {
        let db = try requireHandle()
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errmsg)
            throw .sqlite(code: rc, message: message)
        }
    }

    /// A fresh, uncached prepared statement (finalized when released).
    package func prepare(_ sql: String) throws(PersistenceError) -> SQLiteStatement {
        let db = try requireHandle()
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare failed") }
        return SQLiteStatement(stmt, connection: self)
    }

    /// The cached statement for `sql`, reset and with bindings cleared.
    package func cached(_ sql: String) throws(PersistenceError) -> SQLiteStatement {
        if let statement = statementCache[sql] {
            statement.reset()
            return statement
        }
        let statement = try prepare(sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs a statement that returns at most one row of interest and discards the rest.
    package func run(_ sql: String, _ bind: (SQLiteStatement) throws(PersistenceError) -> Void = { _ in })
        throws(PersistenceError)
    {
        let statement = try cached(sql)
        defer { statement.reset() }
        try bind(statement)
        while try statement.step() {}
    }

    /// The first column of every row of a query, as text (`PRAGMA` helpers).
    package func texts(_ sql: String) throws(PersistenceError) -> [String] {
        let statement = try prepare(sql)
        var out: [String] = []
        while try statement.step() { out.append(statement.text(0)) }
        return out
    }

    package var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }
    package var isAutocommit: Bool { handle.map { sqlite3_get_autocommit($0) != 0 } ?? true }
}
