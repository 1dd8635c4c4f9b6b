import Foundation
import SimfraServer

// `simfra backup <dir>` runs instead of the server (Backup.swift),
// before the stop signals are blocked, so Ctrl-C still ends a backup.
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "backup" {
    exit(BackupCommand.main(Array(CommandLine.arguments.dropFirst(2)), environment: ProcessInfo.processInfo.environment))
}

// SIGINT/SIGTERM are blocked before any thread exists (threads inherit the mask), so none is
// ever lost or delivered with its default action: the main thread takes them with sigwait.
// (Ignoring them first and then installing a dispatch source lost about 1 in 600 SIGTERMs.)
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGINT)
sigaddset(&stopSignals, SIGTERM)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

// No top-level `await` in this file: with one, main would already run as a task and NIO could
// no longer become the concurrency executor (every request would hop through libdispatch).
let onEventLoops = Simfra.useEventLoopsForConcurrency()

#if canImport(Glibc)
// Request bodies pass through as 64 KiB chunks. With glibc's default 128 KiB trim threshold each
// free of one could hand the heap top back to the kernel (madvise, TLB shootdowns) and the
// next chunk faulted it in again: 8% of a 1 MiB PutObject. Keep up to 8 MiB of free heap.
// (mallopt is not in the Glibc module; M_TRIM_THRESHOLD is -1 in <malloc.h>.)
if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    let mallopt = unsafeBitCast(sym, to: (@convention(c) (Int32, Int32) -> Int32).self)
    _ = mallopt(-1, 8 << 20)
    // M_ARENA_MAX (-8): glibc makes up to 8 arenas per core, one per thread that allocates
    // under contention, and each keeps its own freed memory; two bound what load leaves behind
    // (the event loops are the allocating threads) at no measurable cost per request.
    _ = mallopt(-8, 2)
}
#endif

// Configuration errors stop startup with one line and exit code 2.
let config: Config
do {
    config = try Config.fromEnvironment(ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("simfra: \(error.description)\n".utf8))
    exit(2)
}

// A data dir that cannot be opened as written (wrong key, corrupt or newer database) also
// stops startup with exit code 2, before anything in it is modified.
let server: Simfra
do {
    server = try Simfra(config: config)
} catch {
    FileHandle.standardError.write(Data("simfra: \(error.description)\n".utf8))
    exit(2)
}

if !onEventLoops {
    FileHandle.standardError.write(Data("simfra: warning: running on the default concurrency executor\n".utf8))
}

Task.detached {
    do {
        try await server.run { line, _ in
            // Unbuffered: scripts wait for this line to learn the port.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    } catch let e as Simfra.PortInUse {
        FileHandle.standardError.write(Data("simfra: \(e.description)\n".utf8))
        _exit(2)
    } catch {
        FileHandle.standardError.write(Data("simfra: cannot start: \(error)\n".utf8))
        _exit(1)
    }
    server.shutdown()
    _exit(0)
}

// SIGINT/SIGTERM: exit cleanly. Every acknowledged write is already durable (write-through);
// closing only lets the database checkpoint its WAL. The main thread waits for them itself
// (dispatchMain would unblock them again); `_exit` rather than `exit`: the event loops keep
// running, and exit's destructors must not race them.
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
var caught: Int32 = 0
while sigwait(&stopSignals, &caught) != 0 {}
server.shutdown()
_exit(0)
