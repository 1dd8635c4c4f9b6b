import CSQLite
import Dispatch
import Foundation
import Synchronization

/// Completion of one submitted batch of `WriteOp`s. Resolved by the writer thread after the
/// transaction containing the batch has committed (or failed and rolled back).
///
/// `PersistenceStore.submit` is synchronous and non-blocking, so a service can enqueue its
/// write while still holding the lock under which it mutated memory (keeping the database in
/// the same order as memory), then `await ticket.wait()` after releasing it.
package final class CommitTicket: Sendable {
    private enum State {
        case pending(CheckedContinuation<Result<Void, PersistenceError>, Never>?)
        case done(Result<Void, PersistenceError>)
    }

    private let state = Mutex<State>(.pending(nil))
    private let semaphore = DispatchSemaphore(value: 0)

    init() {}

    static func failed(_ error: PersistenceError) -> CommitTicket {
        let ticket = CommitTicket()
        ticket.complete(.failure(error))
        return ticket
    }

    func complete(_ result: Result<Void, PersistenceError>) {
        let continuation = state.withLock { state -> CheckedContinuation<Result<Void, PersistenceError>, Never>? in
            guard case .pending(let continuation) = state else { return nil }
            state = .done(result)
            return continuation
        }
        semaphore.signal()
        continuation?.resume(returning: result)
    }

    /// Waits for the commit. Call at most once per ticket from async code.
    package func wait() async throws(PersistenceError) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, PersistenceError>, Never>) in
            let ready = state.withLock { state -> Result<Void, PersistenceError>? in
                switch state {
                case .done(let result):
                    return result
                case .pending(let existing):
                    precondition(existing == nil, "CommitTicket.wait() called twice")
                    state = .pending(continuation)
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
        try result.get()
    }

    /// Blocks the calling thread until the commit (tests, bootstrap; never on the
    /// cooperative pool).
    package func waitSync() throws(PersistenceError) {
        semaphore.wait()
        semaphore.signal()
        let result = state.withLock { state -> Result<Void, PersistenceError> in
            guard case .done(let result) = state else { preconditionFailure("signalled before done") }
            return result
        }
        try result.get()
    }

    /// True once the batch has committed or failed.
    package var isDone: Bool {
        state.withLock { if case .done = $0 { return true } else { return false } }
    }
}

/// The single writer: a dedicated OS thread (blocking SQLite calls never run on Swift
/// concurrency's threads) that owns the write connection. Group commit: it takes everything
/// queued, runs `BEGIN IMMEDIATE; ops…; COMMIT`, then completes every ticket of that batch.
final class WriterThread: @unchecked Sendable {
    private struct Pending {
        var ops: [WriteOp]
        var ticket: CommitTicket
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var stopping = false
    private var started = false

    /// Touched only by the writer thread once started (and by `init`/after `stop`).
    private let connection: SQLiteConnection
    private let exited = DispatchSemaphore(value: 0)

    /// Statistics (read under `condition`); handy for tests and benchmarks.
    private var transactionCount = 0

    static let upsertSQL = """
        INSERT INTO records(service, kind, account, region, id, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT(service, kind, account, region, id) DO UPDATE SET data = excluded.data
        """
    static let deleteSQL = "DELETE FROM records WHERE service = ?1 AND kind = ?2 AND account = ?3 AND region = ?4 AND id = ?5"

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    func start() {
        condition.lock()
        precondition(!started)
        started = true
        condition.unlock()
        let thread = Thread { [self] in self.run() }
        thread.name = "simfra-persistence-writer"
        thread.start()
    }

    /// Enqueues a batch; returns its ticket. Never blocks on I/O.
    func submit(_ ops: [WriteOp]) -> CommitTicket {
        let ticket = CommitTicket()
        condition.lock()
        if stopping {
            condition.unlock()
            ticket.complete(.failure(.io("the persistence store is closed")))
            return ticket
        }
        queue.append(Pending(ops: ops, ticket: ticket))
        if queue.count == 1 { condition.signal() }
        condition.unlock()
        return ticket
    }

    var transactions: Int {
        condition.lock()
        defer { condition.unlock() }
        return transactionCount
    }

    /// Drains the queue, closes the write connection and joins the thread. Idempotent.
    func stop() {
        condition.lock()
        let wasStopping = stopping
        stopping = true
        condition.signal()
        let wasStarted = started
        condition.unlock()
        guard !wasStopping else { return }
        if wasStarted {
            exited.wait()
        } else {
            connection.close()
        }
    }

    private func run() {
        var batch: [Pending] = []
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {  // stopping and drained
                condition.unlock()
                break
            }
            swap(&batch, &queue)
            transactionCount += 1
            condition.unlock()

            let result = commit(batch)
            for pending in batch { pending.ticket.complete(result) }
            batch.removeAll(keepingCapacity: true)
        }
        connection.close()
        exited.signal()
    }

    private func commit(_ batch: [Pending]) -> Result<Void, PersistenceError> {
        do throws(PersistenceError) {
            try connection.run("BEGIN IMMEDIATE")
            for pending in batch {
                for op in pending.ops { try apply(op) }
            }
            try connection.run("COMMIT")
            return .success(())
        } catch {
            if !connection.isAutocommit { try? connection.exec("ROLLBACK") }
            return .failure(error)
        }
    }

    private func apply(_ op: WriteOp) throws(PersistenceError) {
        switch op {
        case .put(let key, let data):
            try connection.run(Self.upsertSQL) { (s) throws(PersistenceError) in
                try Self.bind(key, to: s)
                try s.bind(6, blob: data)
            }
        case .delete(let key):
            try connection.run(Self.deleteSQL) { (s) throws(PersistenceError) in try Self.bind(key, to: s) }
        case .deleteAll(let service, let kind, let account, let region):
            var sql = "DELETE FROM records WHERE service = ?1"
            if kind != nil { sql += " AND kind = ?2" }
            if account != nil { sql += " AND account = ?3" }
            if region != nil { sql += " AND region = ?4" }
            try connection.run(sql) { (s) throws(PersistenceError) in
                try s.bind(1, text: service)
                if let kind { try s.bind(2, text: kind) }
                if let account { try s.bind(3, text: account) }
                if let region { try s.bind(4, text: region) }
            }
        }
    }

    static func bind(_ key: RecordKey, to s: SQLiteStatement) throws(PersistenceError) {
        try s.bind(1, text: key.service)
        try s.bind(2, text: key.kind)
        try s.bind(3, text: key.account)
        try s.bind(4, text: key.region)
        try s.bind(5, text: key.id)
    }
}
