import Foundation
import Testing

@testable import SimfraPersistence

@Suite struct SQLiteWrapperTests {
    @Test func bindAndReadEveryType() throws {
        let db = try SQLiteConnection(path: ":memory:", flags: SQLiteConnection.readWriteCreate)
        defer { db.close() }
        try db.exec("CREATE TABLE t(a TEXT, b BLOB, c INTEGER, d)")
        let text = "nul\u{0}inside é 🙂"
        try db.run("INSERT INTO t VALUES(?1, ?2, ?3, ?4)") { (s) throws(PersistenceError) in
            try s.bind(1, text: text)
            try s.bind(2, blob: [0, 1, 2, 255])
            try s.bind(3, int: Int64.min)
            try s.bindNull(4)
        }
        try db.run("INSERT INTO t VALUES(?1, ?2, ?3, ?4)") { (s) throws(PersistenceError) in
            try s.bind(1, text: "")
            try s.bind(2, blob: [])
            try s.bind(3, int: 0)
            try s.bind(4, int: 1)
        }
        #expect(db.changes == 1)
        let s = try db.cached("SELECT a, b, c, d, typeof(a), typeof(b), length(a) FROM t ORDER BY rowid")
        #expect(try s.step())
        #expect(s.text(0) == text)
        #expect(s.blob(1) == [0, 1, 2, 255])
        #expect(s.int(2) == Int64.min)
        #expect(s.isNull(3))
        #expect(try s.step())
        #expect(s.text(0) == "")
        #expect(s.blob(1) == [])
        #expect(s.text(4) == "text" && s.text(5) == "blob")  // empty values are not NULL
        #expect(try !s.step())
        // The cache hands back the same statement, reset.
        let again = try db.cached("SELECT a, b, c, d, typeof(a), typeof(b), length(a) FROM t ORDER BY rowid")
        #expect(again === s)
        #expect(try again.step())
        #expect(again.text(0) == text)
        again.reset()
    }

    @Test func errorsCarryCodeAndMessage() throws {
        let db = try SQLiteConnection(path: ":memory:", flags: SQLiteConnection.readWriteCreate)
        defer { db.close() }
        do {
            try db.exec("SELEC 1")
            Issue.record("bad SQL accepted")
        } catch {
            guard case .sqlite(let code, let message) = error else { Issue.record("\(error)"); return }
            #expect(code == 1)
            #expect(message.contains("syntax error"))
        }
        try db.exec("CREATE TABLE u(x PRIMARY KEY)")
        try db.exec("INSERT INTO u VALUES(1)")
        do {
            try db.run("INSERT INTO u VALUES(1)")
            Issue.record("duplicate accepted")
        } catch {
            guard case .sqlite(let code, let message) = error else { Issue.record("\(error)"); return }
            #expect(code & 0xFF == 19)  // SQLITE_CONSTRAINT (extended codes are on)
            #expect(message.contains("UNIQUE"))
        }
        // The statement is usable again after the error.
        try db.run("INSERT INTO u VALUES(2)")
        #expect(try db.texts("SELECT count(*) FROM u") == ["2"])
    }

    @Test func openFailureIsReported() {
        #expect(throws: PersistenceError.self) {
            try SQLiteConnection(path: "/nonexistent-dir-\(UUID().uuidString)/x.db", flags: SQLiteConnection.readWrite)
        }
    }
}
