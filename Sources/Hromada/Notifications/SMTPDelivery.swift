import Foundation
import NIOPosix

/// Delivers outbox messages through ``SMTPMailTransport`` on a thread of its own, since SMTP
/// calls block.
public struct SMTPDelivery: MailTransport {
    let transport: SMTPMailTransport
    let threads: NIOThreadPool

    public init(configuration: SMTPConfiguration) {
        self.transport = SMTPMailTransport(configuration: configuration)
        self.threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
    }

    public func deliver(to address: String, subject: String, body: String, messageID: String) async throws {
        let transport = self.transport
        try await threads.runIfActive {
            try transport.send(MailMessage(to: address, subject: subject, body: body), messageID: messageID)
        }
    }
}
