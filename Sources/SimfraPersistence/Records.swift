/// The identity of one durable record: one row of `records`. Global services use `region: ""`.
package struct RecordKey: Hashable, Sendable, CustomStringConvertible {
    package var service: String
    package var kind: String
    package var account: String
    package var region: String
    package var id: String

    package init(service: String, kind: String, account: String, region: String = "", id: String) {
        self.service = service
        self.kind = kind
        self.account = account
        self.region = region
        self.id = id
    }

    /// `service/kind/account/region/id`.
    package var description: String { "\(service)/\(kind)/\(account)/\(region)/\(id)" }

    /// The associated data that binds a sealed field to this record, e.g.
    /// `iam/user/000000000000//alice/SecretAccessKey`: a sealed value copied into another
    /// record or field fails to unseal.
    package func aad(field: String) -> String { "\(description)/\(field)" }
}

/// One mutation. A batch of them (`PersistenceStore.apply`) commits atomically.
package enum WriteOp: Sendable, Equatable {
    /// Insert or replace the record's data.
    case put(RecordKey, [UInt8])
    /// Delete the record if present.
    case delete(RecordKey)
    /// Delete every record of `service` matching the given (non-nil) fields.
    case deleteAll(service: String, kind: String? = nil, account: String? = nil, region: String? = nil)
}
