import Foundation
import SimfraServer

Simfra.useEventLoopsForConcurrency()

// Configuration errors stop startup with one line and exit code 2.
let config: Config
do {
    config = try Config.fromEnvironment(ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("simfra: \(error.description)\n".utf8))
    exit(2)
}

// SIGINT/SIGTERM: exit cleanly. Every acknowledged write is already durable (write-through),
// so there is nothing to flush.
var signalSources: [any DispatchSourceSignal] = []
for sig in [SIGINT, SIGTERM] {
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler { exit(0) }
    source.resume()
    signalSources.append(source)
}

let simfra = Simfra(config: config)
do {
    try await simfra.run { line, _ in
        // Unbuffered: scripts wait for this line to learn the port.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
} catch {
    FileHandle.standardError.write(Data("simfra: cannot start: \(error)\n".utf8))
    exit(1)
}
