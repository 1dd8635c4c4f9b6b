import Foundation
import SimfraServer

// `simfra backup <dir>` runs instead of the server (Backup.swift).
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "backup" {
    exit(BackupCommand.main(Array(CommandLine.arguments.dropFirst(2)), environment: ProcessInfo.processInfo.environment))
}

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

// SIGINT/SIGTERM: exit cleanly. Every acknowledged write is already durable (write-through);
// closing only lets the database checkpoint its WAL.
var signalSources: [any DispatchSourceSignal] = []
for sig in [SIGINT, SIGTERM] {
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
        server.shutdown()
        exit(0)
    }
    source.resume()
    signalSources.append(source)
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
    } catch {
        FileHandle.standardError.write(Data("simfra: cannot start: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
dispatchMain()
