import Foundation
import Testing

@testable import SimfraCore

private struct FixedClock: SimfraClock {
    func now() -> Double { 1_700_000_000.5 }
}

struct InboxTests {
    private func message(_ type: String, to: String, body: String, account: String = "111122223333") -> InboxMessage {
        InboxMessage(type: type, source: "sns", accountId: account, region: "us-east-1", to: to, subject: "S-\(to)", body: body)
    }

    @Test func newestFirstWithFiltersSearchAndPaging() {
        let inbox = Inbox(clock: FixedClock())
        let a = inbox.add(message("email", to: "a@example.com", body: "Hello Alice"))
        let b = inbox.add(message("sms", to: "+15550100", body: "code 1234"))
        let c = inbox.add(message("email", to: "c@example.com", body: "hello carol"))
        #expect(a < b && b < c, "ids sort in arrival order")
        #expect(inbox.list(.init()).messages.map(\.id) == [c, b, a])
        #expect(inbox.list(.init(type: "email")).messages.map(\.id) == [c, a])
        #expect(inbox.list(.init(source: "ses")).total == 0)
        // Case-insensitive over subject, body and recipient.
        #expect(inbox.list(.init(search: "HELLO")).messages.map(\.id) == [c, a])
        #expect(inbox.list(.init(search: "5550100")).messages.map(\.id) == [b])
        let page = inbox.list(.init(limit: 1, offset: 1))
        #expect(page.total == 3 && page.messages.map(\.id) == [b])
        #expect(inbox.message(a)?.receivedAt == Date(timeIntervalSince1970: 1_700_000_000.5))
    }

    @Test func readDeleteAndAccountRemoval() {
        let inbox = Inbox()
        let a = inbox.add(message("email", to: "a@example.com", body: "x"))
        let b = inbox.add(message("email", to: "b@example.com", body: "y", account: "444455556666"))
        _ = inbox.add(message("sms", to: "+1555", body: "z"))
        #expect(inbox.unreadCount == 3)
        #expect(inbox.markRead(a))
        #expect(!inbox.markRead("nope"))
        #expect(inbox.unreadCount == 2)
        #expect(inbox.markAllRead() == 2)
        #expect(inbox.unreadCount == 0)
        #expect(inbox.delete(a))
        #expect(!inbox.delete(a))
        inbox.removeAccount("111122223333")
        #expect(inbox.list(.init()).messages.map(\.id) == [b])
    }

    @Test func oldestMessagesDropPastCapacity() {
        let inbox = Inbox(capacity: 3)
        let ids = (0..<5).map { inbox.add(message("sms", to: "+1", body: "m\($0)")) }
        #expect(inbox.list(.init()).messages.map(\.id) == ids.suffix(3).reversed())
    }
}
