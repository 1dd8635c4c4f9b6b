import CSQLite

/// `SQLITE_TRANSIENT`: tells SQLite to copy bound bytes before the bind call returns (the C
/// macro is a cast of -1 and does not import into Swift).
@inline(__always)
private var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// One prepared statement. Parameter and column indices follow SQLite: binds are 1-based,
/// columns 0-based. Owned by a `SQLiteConnection` (cached) or by the caller (`prepare`).
package final class SQLiteStatement {
    private var stmt: OpaquePointer?
    private let sqlForErrors: String

    init(_ stmt: OpaquePointer, connection: SQLiteConnection) {
        self.stmt = stmt
        self.sqlForErrors = sqlite3_sql(stmt).map { String(cString: $0) } ?? "?"
    }

    deinit { finalize() }

    func finalize() {
        if let stmt {
            sqlite3_finalize(stmt)
            self.stmt = nil
        }
    }

    private var handle: OpaquePointer {
        guard let stmt else { preconditionFailure("use of a finalized statement: \(sqlForErrors)") }
        return stmt
    }

    private func failure(_ rc: Int32) -> PersistenceError {
        let db = sqlite3_db_handle(handle)
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return .sqlite(code: rc, message: "\(message) (in: \(sqlForErrors))")
    }

    private func check(_ rc: Int32) throws(PersistenceError) {
        if rc != SQLITE_OK { throw failure(rc) }
    }

    /// Resets the statement and clears all bindings.
    package func reset() {
        guard let stmt else { return }
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    // MARK: binding (1-based)

    package func bind(_ index: Int32, text value: String) throws(PersistenceError) {
        var value = value
        let rc = value.withUTF8 { buffer -> Int32 in
            if let base = buffer.baseAddress, buffer.count > 0 {
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    sqlite3_bind_text64(handle, index, $0, UInt64(buffer.count), sqliteTransient, UInt8(SQLITE_UTF8))
                }
            }
            return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
        }
        try check(rc)
    }

    /// Binds a BLOB. An empty array binds a zero-length blob, never NULL.
    package func bind(_ index: Int32, blob value: [UInt8]) throws(PersistenceError) {
        let rc = value.withUnsafeBytes { buffer -> Int32 in
            if let base = buffer.baseAddress, buffer.count > 0 {
                return sqlite3_bind_blob64(handle, index, base, UInt64(buffer.count), sqliteTransient)
            }
            return sqlite3_bind_zeroblob(handle, index, 0)
        }
        try check(rc)
    }

    package func bind(_ index: Int32, int value: Int64) throws(PersistenceError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    package func bindNull(_ index: Int32) throws(PersistenceError) {
        try check(sqlite3_bind_null(handle, index))
    }

    // MARK: stepping

    /// Advances the statement: `true` when a row is available, `false` when done.
    package func step() throws(PersistenceError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = failure(rc)
            sqlite3_reset(handle)
            throw error
        }
    }

    // MARK: columns (0-based)

    package var columnCount: Int32 { sqlite3_column_count(handle) }

    package func type(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    package func isNull(_ column: Int32) -> Bool { type(column) == SQLITE_NULL }

    package func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    package func text(_ column: Int32) -> String {
        // `sqlite3_column_text` first, then `_bytes` (the documented safe order).
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    package func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
