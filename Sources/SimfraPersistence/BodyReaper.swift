import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Deletes replaced and deleted S3 bodies only after a grace period.
///
/// Bodies are immutable and every write gets a fresh path, so the only way a copy of the data
/// directory (`cp -a` in the documented order: `simfra.db`, `simfra.db-wal`, then `s3/`) can
/// name a body that its `s3/` copy lacks is a body removed between copying the WAL and copying
/// `s3/`. Holding removals back for `grace` seconds closes that window for any copy of `s3/`
/// that finishes within it; `simfra backup` links the bodies within it. Removals still pending
/// when the process stops are unreferenced files that the next start's orphan sweep deletes.
///
/// One queue in deadline order (the grace is constant, so appends stay sorted) and at most one
/// armed timer: cheap under heavy overwrite load.
package final class BodyReaper: Sendable {
    private struct State {
        var paths: [(deadline: UInt64, path: String)] = []
        var head = 0
        var armed = false
    }

    package let grace: Double
    private let dataDir: String
    private let state = Mutex(State())

    package init(dataDir: String, grace: Double) {
        self.dataDir = dataDir
        self.grace = grace
    }

    /// Schedules `relativePaths` (already validated blob paths) for removal after the grace.
    package func retire(_ relativePaths: [String]) {
        guard !relativePaths.isEmpty else { return }
        let deadline = Self.now() + UInt64(grace * 1e9)
        let arm = state.withLock { s -> Bool in
            for p in relativePaths { s.paths.append((deadline, p)) }
            if s.armed { return false }
            s.armed = true
            return true
        }
        if arm { schedule(at: deadline) }
    }

    /// Bodies waiting for their grace period to end.
    package var pendingCount: Int { state.withLock { $0.paths.count - $0.head } }

    /// Removes every body whose grace period has ended; re-arms for the next one.
    func drain() {
        let now = Self.now()
        var due: [String] = []
        let next = state.withLock { s -> UInt64? in
            while s.head < s.paths.count, s.paths[s.head].deadline <= now {
                due.append(s.paths[s.head].path)
                s.head += 1
            }
            if s.head > 4096, s.head * 2 > s.paths.count {
                s.paths.removeFirst(s.head)
                s.head = 0
            }
            if s.head == s.paths.count {
                s.paths.removeAll(keepingCapacity: false)
                s.head = 0
                s.armed = false
                return nil
            }
            return s.paths[s.head].deadline
        }
        for p in due { unlink("\(dataDir)/\(p)") }
        if let next { schedule(at: next) }
    }

    private func schedule(at deadline: UInt64) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: DispatchTime(uptimeNanoseconds: deadline)) { [self] in
            drain()
        }
    }

    /// The clock `DispatchTime` uses, so deadlines and the timer agree.
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
