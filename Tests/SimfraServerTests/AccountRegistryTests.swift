import Foundation
import SimfraCore
import SimfraProtocols
import Testing

@testable import SimfraServer

@Suite struct AccountRegistryTests {
    private func registry() -> AccountRegistry { AccountRegistry(config: Config()) }

    @Test func defaultAccountSignsWithTheConfiguredKeys() throws {
        var config = Config()
        config.defaultAccountId = "123412341234"
        config.rootAccessKeyId = "AKIADEFAULTKEY000001"
        let r = AccountRegistry(config: config)
        let c = try #require(r.credential(forAccessKeyId: "AKIADEFAULTKEY000001"))
        #expect(c.accountId == "123412341234")
        #expect(c.principalArn == "arn:aws:iam::123412341234:root")
        #expect(c.isRoot)
        #expect(r.credential(forAccessKeyId: "AKIAIOSFODNN7EXAMPLE") == nil)
        #expect(r.list().map(\.accountId) == ["123412341234"])
        #expect(r.list()[0].isDefault)
    }

    @Test func generatedAccountsHaveAWSShapedIdsAndKeys() async throws {
        let r = registry()
        var ids = Set<String>()
        for _ in 0..<20 {
            let a = try await r.create(accountId: nil)
            #expect(AccountRegistry.isAccountId(a.accountId))
            #expect(a.accountId.first != "0")
            #expect(a.rootAccessKeyId.hasPrefix("AKIA"))
            #expect(a.rootAccessKeyId.count == 20)
            #expect(a.rootAccessKeyId.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) })
            #expect(a.rootSecretAccessKey.count == 40)
            #expect(!a.isDefault)
            let c = try #require(r.credential(forAccessKeyId: a.rootAccessKeyId))
            #expect(c.accountId == a.accountId)
            #expect(c.secretAccessKey == a.rootSecretAccessKey)
            #expect(c.principalArn == "arn:aws:iam::\(a.accountId):root")
            ids.insert(a.accountId)
        }
        #expect(ids.count == 20)
        #expect(r.list().count == 21)
        #expect(r.list()[0].isDefault)
        #expect(Array(r.list().dropFirst().map(\.accountId)) == ids.sorted())
    }

    @Test func chosenIdDuplicatesAndBadIds() async throws {
        let r = registry()
        let a = try await r.create(accountId: "111122223333")
        #expect(a.accountId == "111122223333")
        #expect(try r.account("111122223333") == a)
        await #expect(throws: AccountRegistry.Failure.alreadyExists("111122223333")) {
            try await r.create(accountId: "111122223333")
        }
        await #expect(throws: AccountRegistry.Failure.alreadyExists("000000000000")) {
            try await r.create(accountId: "000000000000")
        }
        for bad in ["12345678901", "1234567890123", "12345678901a", "", "１２３４５６７８９０１２"] {
            await #expect(throws: AccountRegistry.Failure.invalidAccountId(bad)) { try await r.create(accountId: bad) }
        }
        #expect(throws: AccountRegistry.Failure.notFound("999999999999")) { try r.account("999999999999") }
        #expect(throws: AccountRegistry.Failure.invalidAccountId("abc")) { try r.account("abc") }
    }

    @Test func deletionStopsTheKeysFirstAndFreesTheIdLast() async throws {
        let r = registry()
        let a = try await r.create(accountId: "222233334444")
        #expect(throws: AccountRegistry.Failure.defaultAccount("000000000000")) { try r.beginDeletion("000000000000") }
        _ = try r.beginDeletion(a.accountId)
        #expect(r.credential(forAccessKeyId: a.rootAccessKeyId) == nil)
        #expect(throws: AccountRegistry.Failure.busy(a.accountId)) { try r.beginDeletion(a.accountId) }
        #expect(throws: AccountRegistry.Failure.notFound(a.accountId)) { try r.account(a.accountId) }
        await #expect(throws: AccountRegistry.Failure.alreadyExists(a.accountId)) {
            try await r.create(accountId: a.accountId)
        }
        #expect(!r.list().contains { $0.accountId == a.accountId })
        try await r.finishDeletion(a)
        #expect(throws: AccountRegistry.Failure.notFound(a.accountId)) { try r.beginDeletion(a.accountId) }
        let again = try await r.create(accountId: a.accountId)
        #expect(again.rootAccessKeyId != a.rootAccessKeyId)
        #expect(r.credential(forAccessKeyId: a.rootAccessKeyId) == nil)
    }

    @Test func abortedDeletionRestoresTheKeys() async throws {
        let r = registry()
        let a = try await r.create(accountId: nil)
        _ = try r.beginDeletion(a.accountId)
        r.abortDeletion(a)
        #expect(r.credential(forAccessKeyId: a.rootAccessKeyId)?.accountId == a.accountId)
        #expect(try r.account(a.accountId) == a)
    }

    /// Through the real wiring: `Simfra` on a data dir, restarted on it.
    @Test func accountsPersistWithTheSecretSealed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simfra-accounts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Config()
        config.dataDir = dir
        let first = try Simfra(config: config)
        try first.restoreServices()
        let a = try await first.dispatcher.accounts.create(accountId: "333344445555")
        let b = try await first.dispatcher.accounts.create(accountId: nil)
        _ = try first.dispatcher.accounts.beginDeletion(b.accountId)
        try await first.dispatcher.accounts.finishDeletion(b)
        // The WAL still holds the records here: neither file may show the secret.
        for file in ["simfra.db", "simfra.db-wal"] {
            let bytes = FileManager.default.contents(atPath: "\(dir)/\(file)") ?? Data()
            #expect(bytes.range(of: Data(a.rootSecretAccessKey.utf8)) == nil, "\(file) holds the secret in plaintext")
        }
        first.shutdown()

        let second = try Simfra(config: config)
        try second.restoreServices()
        defer { second.shutdown() }
        let restored = try second.dispatcher.accounts.account("333344445555")
        #expect(restored == a)
        #expect(second.dispatcher.accounts.credential(forAccessKeyId: a.rootAccessKeyId)?.secretAccessKey == a.rootSecretAccessKey)
        #expect(second.dispatcher.accounts.credential(forAccessKeyId: b.rootAccessKeyId) == nil)
        #expect(second.dispatcher.accounts.list().map(\.accountId) == ["000000000000", "333344445555"])
    }

    @Test func adminTokenComparison() {
        func req(_ auth: String?) -> AWSRequest {
            AWSRequest(method: "GET", uri: "/_simfra/accounts", headers: auth.map { [("authorization", $0)] } ?? [], body: [])
        }
        #expect(AdminRoutes.authorized(req("Bearer s3cret-token"), token: "s3cret-token"))
        #expect(AdminRoutes.authorized(req("bearer s3cret-token"), token: "s3cret-token"))
        #expect(!AdminRoutes.authorized(req("Bearer s3cret-toke"), token: "s3cret-token"))
        #expect(!AdminRoutes.authorized(req("Bearer s3cret-token2"), token: "s3cret-token"))
        #expect(!AdminRoutes.authorized(req("Basic s3cret-token"), token: "s3cret-token"))
        #expect(!AdminRoutes.authorized(req(nil), token: "s3cret-token"))
    }

    @Test func adminTokenFromEnvironment() throws {
        #expect(try Config.fromEnvironment([:]).adminToken == nil)
        #expect(try Config.fromEnvironment(["SIMFRA_ADMIN_TOKEN": ""]).adminToken == nil)
        #expect(try Config.fromEnvironment(["SIMFRA_ADMIN_TOKEN": "abc"]).adminToken == "abc")
        #expect(throws: Config.Invalid.self) { try Config.fromEnvironment(["SIMFRA_ADMIN_TOKEN": "a b"]) }
    }
}
