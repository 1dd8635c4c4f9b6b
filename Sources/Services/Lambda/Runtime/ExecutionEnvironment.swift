import Foundation
import NIOCore
import Synchronization

/// One running execution environment: a Runtime API endpoint on a loopback port and the
/// runtime process that polls it, in its own process group. It serves one invocation at a
/// time; the pool reuses it warm until it dies, times out or its configuration changes.
final class ExecutionEnvironment: @unchecked Sendable {
    let api: RuntimeAPI
    /// Which configuration it runs (`<function ARN>@<RevisionId>`): another one is a new environment.
    let poolKey: String
    let logStream: String
    /// When it started, to report `Init Duration` on its first invocation.
    let started: Double
    private let channel: any Channel
    private let process: Process
    private let output = Mutex<[UInt8]>([])
    private let alive = Atomic<Bool>(true)
    private let invocations = Atomic<Int>(0)
    private let idle = Mutex<Double>(0)

    /// Starts the runtime with `environment`; `command` is the executable and its arguments.
    static func start(poolKey: String, logStream: String, command: [String], workingDirectory: String,
                      environment: [String: String]) async throws -> ExecutionEnvironment
    {
        let api = RuntimeAPI()
        let (channel, port) = try await RuntimeAPIServer.start(api)
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        let e = ExecutionEnvironment(api: api, poolKey: poolKey, logStream: logStream, channel: channel, process: p)
        pipe.fileHandleForReading.readabilityHandler = { [weak e] h in
            let d = h.availableData
            if d.isEmpty { h.readabilityHandler = nil; return }
            e?.output.withLock { $0 += d }
        }
        p.terminationHandler = { [weak e] proc in
            e?.alive.store(false, ordering: .releasing)
            e?.api.complete(.exited(proc.terminationStatus))
            e?.channel.close(promise: nil)
        }
        do {
            try p.run()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return e
    }

    private init(api: RuntimeAPI, poolKey: String, logStream: String, channel: any Channel, process: Process) {
        self.api = api
        self.poolKey = poolKey
        self.logStream = logStream
        self.channel = channel
        self.process = process
        started = Date().timeIntervalSince1970
    }

    var isAlive: Bool { alive.load(ordering: .acquiring) }

    /// When it last went idle (seconds since the epoch, the service's clock).
    var idleSince: Double { idle.withLock { $0 } }

    func markIdle(at t: Double) { idle.withLock { $0 = t } }

    /// Whether this is the environment's first invocation (its init is billed then).
    func beginInvocation() -> Bool { invocations.add(1, ordering: .relaxed).oldValue == 0 }

    /// What the runtime printed since `offset`, and the new offset.
    func output(since offset: Int) -> ([UInt8], Int) {
        output.withLock { o in (offset < o.count ? Array(o[offset...]) : [], o.count) }
    }

    var outputLength: Int { output.withLock { $0.count } }

    /// Kills the runtime (a timeout, a recycle): the process and anything it started.
    func stop() {
        alive.store(false, ordering: .releasing)
        let pid = process.processIdentifier
        if pid > 0 && process.isRunning { kill(pid, SIGKILL) }
        channel.close(promise: nil)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
