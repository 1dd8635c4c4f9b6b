import SimfraCore
/// What `GET /_simfra/...` reports about storage.
package struct StorageSummary: Sendable, Equatable {
    package struct Service: Sendable, Equatable {
        package var service: String
        /// Sum of `length(data)` of the service's records.
        package var size: Int64

        package init(service: String, size: Int64) {
            self.service = service
            self.size = size
        }
    }

    package var enabled: Bool
    package var dataDir: String
    package var dbPath: String
    /// Bytes of `simfra.db` plus `simfra.db-wal`.
    package var dbSize: Int64
    /// Number of records.
    package var total: Int64
    /// Ordered by service name.
    package var services: [Service]

    package init(enabled: Bool, dataDir: String, dbPath: String, dbSize: Int64, total: Int64, services: [Service]) {
        self.enabled = enabled
        self.dataDir = dataDir
        self.dbPath = dbPath
        self.dbSize = dbSize
        self.total = total
        self.services = services
    }

    /// Memory-only mode (no `SIMFRA_DATA_DIR`).
    package static let disabled = StorageSummary(enabled: false, dataDir: "", dbPath: "", dbSize: 0, total: 0, services: [])

    /// `{"enabled":true,"dataDir":"…","dbPath":"…","dbSize":N,"total":N,"services":[{"service":"…","size":N}]}`
    package func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + services.count * 32)
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        func string(_ s: String) {
            out.append(0x22)
            for b in s.utf8 {
                switch b {
                case 0x22: raw("\\\"")
                case 0x5C: raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0x00..<0x20:
                    raw("\\u00")
                    out.append(Hex.digits[Int(b >> 4)])
                    out.append(Hex.digits[Int(b & 0xF)])
                default: out.append(b)
                }
            }
            out.append(0x22)
        }
        raw("{\"enabled\":")
        raw(enabled ? "true" : "false")
        raw(",\"dataDir\":")
        string(dataDir)
        raw(",\"dbPath\":")
        string(dbPath)
        raw(",\"dbSize\":\(dbSize),\"total\":\(total),\"services\":[")
        for (i, service) in services.enumerated() {
            if i > 0 { out.append(0x2C) }
            raw("{\"service\":")
            string(service.service)
            raw(",\"size\":\(service.size)}")
        }
        raw("]}")
        return out
    }

    package func json() -> String { String(decoding: jsonBytes(), as: UTF8.self) }
}
