import Foundation
import SimfraCore
import SimfraProtocols
import Testing

@testable import SimfraServer

@Suite struct InboxRoutesTests {
    private func request(_ method: String, _ uri: String) -> AWSRequest {
        AWSRequest(method: method, uri: uri, headers: [], body: [])
    }

    private func object(_ r: AWSResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
    }

    @Test func listReadDeleteThroughTheAdminAPI() async throws {
        let inbox = Inbox()
        let simfra = Simfra(config: Config(), handlers: [], inbox: inbox)
        let admin = simfra.http.admin
        let first = inbox.add(InboxMessage(type: "email", source: "sns", accountId: "000000000000", region: "us-east-1",
                                           to: "dev@example.com", subject: "Confirm", body: "Click to confirm",
                                           links: ["confirm": "http://localhost:4599/?Action=ConfirmSubscription"]))
        let second = inbox.add(InboxMessage(type: "sms", source: "sns", accountId: "000000000000", region: "us-east-1",
                                            to: "+15550100", body: "code 42"))

        var r = await admin.handle(request("GET", "/_simfra/inbox"))
        #expect(r.status == 200)
        var body = try object(r)
        #expect(body["total"] as? Int == 2)
        let listed = try #require(body["messages"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == [second, first])
        #expect((listed[1]["links"] as? [String: String])?["confirm"] == "http://localhost:4599/?Action=ConfirmSubscription")
        #expect(listed[0]["subject"] is NSNull && listed[0]["read"] as? Bool == false)

        r = await admin.handle(request("GET", "/_simfra/inbox?type=email&q=CONFIRM&limit=500"))
        body = try object(r)
        #expect((body["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == [first])
        #expect(await admin.handle(request("GET", "/_simfra/inbox?limit=0")).status == 400)
        #expect(await admin.handle(request("GET", "/_simfra/inbox?colour=red")).status == 400)

        #expect(try object(await admin.handle(request("GET", "/_simfra/inbox/unread-count")))["unread"] as? Int == 2)
        #expect(await admin.handle(request("POST", "/_simfra/inbox/\(first)/read")).status == 204)
        #expect(try object(await admin.handle(request("GET", "/_simfra/inbox/unread-count")))["unread"] as? Int == 1)
        #expect(try object(await admin.handle(request("POST", "/_simfra/inbox/read-all")))["marked"] as? Int == 1)
        #expect(try object(await admin.handle(request("GET", "/_simfra/inbox/\(first)")))["read"] as? Bool == true)
        #expect(await admin.handle(request("DELETE", "/_simfra/inbox/\(first)")).status == 204)
        #expect(await admin.handle(request("DELETE", "/_simfra/inbox/\(first)")).status == 404)
        #expect(await admin.handle(request("POST", "/_simfra/inbox/\(first)/read")).status == 404)
        #expect(await admin.handle(request("PUT", "/_simfra/inbox")).status == 405)
        #expect(inbox.list(.init()).messages.map(\.id) == [second])
    }
}
