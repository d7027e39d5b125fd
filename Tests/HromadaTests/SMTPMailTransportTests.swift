import Foundation
import Glibc
import Testing
@testable import Hromada

@Suite struct SMTPMailTransportTests {
    static let ukrainianSubject = "Ваше звернення зареєстровано"
    /// Fri, 27 Nov 2026 10:16:09 UTC.
    static let fixedDate = Date(timeIntervalSince1970: 1_795_774_569)

    private func transport(port: Int, timeoutSeconds: Int = 5) -> SMTPMailTransport {
        SMTPMailTransport(configuration: SMTPConfiguration(
            host: "127.0.0.1", port: port, from: "noreply@hromada.ua", timeoutSeconds: timeoutSeconds
        ))
    }

    @Test func successfulSendTransmitsHeadersAndEncodedContent() throws {
        let server = try FakeSMTPServer()
        let body = "Доброго дня!\n.Рядок, що починається з крапки\r\n..\rКінець."
        let message = MailMessage(to: "resident@example.com", subject: Self.ukrainianSubject, body: body)

        try transport(port: server.port).send(message, date: Self.fixedDate, messageID: "outbox-42@hromada.ua")

        let session = server.finish()
        #expect(session.commands == [
            "EHLO hromada.local", "MAIL FROM:<noreply@hromada.ua>", "RCPT TO:<resident@example.com>", "DATA", "QUIT",
        ])
        #expect(hasOnlyCRLFLineEndings(session.raw))
        let content = try #require(session.message)
        let parts = content.components(separatedBy: "\r\n\r\n")
        try #require(parts.count == 2)
        let headerLines = parts[0].components(separatedBy: "\r\n")
        #expect(headerLines.allSatisfy { $0.utf8.count <= 76 })
        let headers = unfoldedHeaders(headerLines)
        #expect(headers["From"] == "noreply@hromada.ua")
        #expect(headers["To"] == "resident@example.com")
        #expect(headers["Date"] == "Fri, 27 Nov 2026 10:16:09 +0000")
        #expect(headers["Message-ID"] == "<outbox-42@hromada.ua>")
        #expect(headers["MIME-Version"] == "1.0")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(headers["Content-Transfer-Encoding"] == "base64")
        let subject = try #require(headers["Subject"])
        #expect(subject.hasPrefix("=?UTF-8?B?"))
        #expect(decodeEncodedWords(subject) == Self.ukrainianSubject)

        let bodyLines = parts[1].components(separatedBy: "\r\n")
        #expect(bodyLines.allSatisfy { $0.utf8.count <= 76 })
        let decodedBody = try #require(Data(base64Encoded: bodyLines.joined()))
        #expect(String(decoding: decodedBody, as: UTF8.self)
            == "Доброго дня!\r\n.Рядок, що починається з крапки\r\n..\r\nКінець.")
    }

    @Test func recipientRefusedWith550IsPermanent() throws {
        let server = try FakeSMTPServer(replies: ["RCPT": "550 5.1.1 <nobody@example.com>: Recipient address rejected"])
        let message = MailMessage(to: "nobody@example.com", subject: "Hi", body: "Text")

        let error = #expect(throws: SMTPError.self) {
            try transport(port: server.port).send(message, messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "RCPT TO")
        #expect(error?.isTransient == false)
        #expect(error?.reply.hasPrefix("550 5.1.1") == true)
        // The session is still healthy after a refusal, so the client ends it politely.
        #expect(server.finish().commands.last == "QUIT")
    }

    @Test func senderDeferredWith451IsTransient() throws {
        let server = try FakeSMTPServer(replies: ["MAIL": "451 4.3.0 Try again later"])
        let message = MailMessage(to: "resident@example.com", subject: "Hi", body: "Text")

        let error = #expect(throws: SMTPError.self) {
            try transport(port: server.port).send(message, messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "MAIL FROM")
        #expect(error?.isTransient == true)
        #expect(!server.finish().commands.contains("DATA"))
    }

    @Test func contentRefusedAfterFinalDotIsPermanent() throws {
        let server = try FakeSMTPServer(replies: [".": "554 5.7.1 Rejected as spam"])
        let message = MailMessage(to: "resident@example.com", subject: "Hi", body: "Text")

        let error = #expect(throws: SMTPError.self) {
            try transport(port: server.port).send(message, messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "message")
        #expect(error?.isTransient == false)
    }

    @Test func closedPortFailsToConnectTransiently() throws {
        // A bound socket that never listens makes the kernel refuse connections to its port,
        // and keeping it open stops anything else from taking the port during the test.
        let closed = try LoopbackSocket(listening: false)
        let message = MailMessage(to: "resident@example.com", subject: "Hi", body: "Text")

        let error = #expect(throws: SMTPError.self) {
            try transport(port: closed.port).send(message, messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "connect")
        #expect(error?.isTransient == true)
    }

    @Test(arguments: [
        MailMessage(to: "resident@example.com", subject: "Hi\r\nBcc: victim@example.com", body: "Text"),
        MailMessage(to: "resident@example.com", subject: "Hi\nthere", body: "Text"),
        MailMessage(to: "resident@example.com\r\nRCPT TO:<victim@example.com>", subject: "Hi", body: "Text"),
        MailMessage(to: "no-at-sign.example.com", subject: "Hi", body: "Text"),
    ])
    func unsafeMessageIsRefusedBeforeConnecting(message: MailMessage) throws {
        let listener = try LoopbackSocket(listening: true)

        let error = #expect(throws: SMTPError.self) {
            try transport(port: listener.port).send(message, messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "message")
        #expect(error?.isTransient == false)
        #expect(!listener.hasPendingConnection())
    }

    @Test func headerInjectionThroughSenderIsRefused() throws {
        let listener = try LoopbackSocket(listening: true)
        let transport = SMTPMailTransport(configuration: SMTPConfiguration(
            host: "127.0.0.1", port: listener.port, from: "noreply@hromada.ua\r\nBcc: victim@example.com"
        ))

        let error = #expect(throws: SMTPError.self) {
            try transport.send(MailMessage(to: "a@example.com", subject: "Hi", body: ""), messageID: "1@hromada.ua")
        }

        #expect(error?.stage == "message")
        #expect(!listener.hasPendingConnection())
    }

    @Test func multiLineEHLOReplyIsReadCompletely() throws {
        // Sent in small pieces so that continuation lines straddle several reads. A client that
        // stopped after the first line would take the rest as later replies and fail at DATA.
        let server = try FakeSMTPServer(
            replies: ["EHLO": "250-fake.test greets hromada.local\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 SMTPUTF8"],
            trickle: true
        )

        try transport(port: server.port).send(
            MailMessage(to: "resident@example.com", subject: "Hi", body: "Text"), messageID: "1@hromada.ua"
        )

        #expect(server.finish().commands == [
            "EHLO hromada.local", "MAIL FROM:<noreply@hromada.ua>", "RCPT TO:<resident@example.com>", "DATA", "QUIT",
        ])
    }

    @Test func refusedEHLOFallsBackToHELO() throws {
        let server = try FakeSMTPServer(replies: ["EHLO": "502 5.5.1 Command not implemented"])

        try transport(port: server.port).send(
            MailMessage(to: "resident@example.com", subject: "Hi", body: "Text"), messageID: "1@hromada.ua"
        )

        #expect(server.finish().commands.prefix(2) == ["EHLO hromada.local", "HELO hromada.local"])
    }

    @Test func silentServerTimesOutTransiently() throws {
        let server = try FakeSMTPServer(greeting: nil)
        let started = ContinuousClock.now

        let error = #expect(throws: SMTPError.self) {
            try transport(port: server.port, timeoutSeconds: 1).send(
                MailMessage(to: "resident@example.com", subject: "Hi", body: "Text"), messageID: "1@hromada.ua"
            )
        }

        #expect(error?.stage == "greeting")
        #expect(error?.isTransient == true)
        #expect(ContinuousClock.now - started < .seconds(3))
        _ = server.finish()
    }

    @Test func longSubjectIsSplitIntoValidEncodedWords() throws {
        // Two-byte Cyrillic letters and four-byte emoji make a split in the middle of a character likely.
        let subject = String(repeating: "Громада 🇺🇦 звернення № 42; ", count: 6)

        let lines = SMTPMailTransport.subjectHeaderLines(subject)

        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        let words = lines.joined(separator: "\r\n").dropFirst("Subject: ".count)
            .split(whereSeparator: { $0 == " " || $0 == "\r\n" })
        for word in words {
            #expect(word.count <= 75)
            let payload = try #require(Data(base64Encoded: String(word.dropFirst("=?UTF-8?B?".count).dropLast(2))))
            #expect(String(validating: payload, as: UTF8.self) != nil, "encoded word \(word) splits a UTF-8 sequence")
        }
        #expect(decodeEncodedWords(String(lines.joined(separator: "\r\n").dropFirst("Subject: ".count))) == subject)
    }

    @Test func shortASCIISubjectStaysReadable() {
        #expect(SMTPMailTransport.subjectHeaderLines("Your request was registered") == ["Subject: Your request was registered"])
    }

    @Test func dataPayloadDoublesLeadingDotsAndEndsWithDot() {
        let payload = SMTPMailTransport.dataPayload([".hidden", "plain", "", "."])

        #expect(payload == Array("..hidden\r\nplain\r\n\r\n..\r\n.\r\n".utf8))
    }

    @Test func configurationParsesSMTPURL() throws {
        let configuration = try #require(SMTPConfiguration(url: "smtp://127.0.0.1:2525?from=noreply@hromada.ua"))

        #expect(configuration == SMTPConfiguration(host: "127.0.0.1", port: 2525, from: "noreply@hromada.ua"))
        #expect(configuration.heloName == "hromada.local")
        #expect(configuration.timeoutSeconds == 10)
        #expect(SMTPConfiguration(url: "smtp://mail.example.ua?from=a@example.ua")?.port == 25)
        #expect(SMTPConfiguration(url: "smtp://[::1]:2525?from=a@example.ua")?.host == "::1")
        #expect(SMTPConfiguration(url: "smtp://127.0.0.1?from=a@example.ua&helo=web2.example.ua")?.heloName == "web2.example.ua")
    }

    @Test(arguments: [
        "smtp://127.0.0.1:2525",
        "smtp://127.0.0.1:2525?from=",
        "smtp://127.0.0.1:2525?from=noreply",
        "smtp://127.0.0.1:2525?from=a%0D%0A@example.ua",
        "http://127.0.0.1:2525?from=noreply@hromada.ua",
        "smtp://user:secret@127.0.0.1?from=noreply@hromada.ua",
        "smtp://127.0.0.1:0?from=noreply@hromada.ua",
        "smtp://?from=noreply@hromada.ua",
        "not a url",
    ])
    func configurationRejectsMalformedURL(url: String) {
        #expect(SMTPConfiguration(url: url) == nil)
    }
}

// MARK: - Helpers

private func hasOnlyCRLFLineEndings(_ bytes: [UInt8]) -> Bool {
    bytes.indices.allSatisfy { index in
        switch bytes[index] {
        case UInt8(ascii: "\n"): index > 0 && bytes[index - 1] == UInt8(ascii: "\r")
        case UInt8(ascii: "\r"): index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
        default: true
        }
    }
}

/// Header fields by name, with folded continuation lines joined back on.
private func unfoldedHeaders(_ lines: [String]) -> [String: String] {
    var fields: [(name: String, value: String)] = []
    for line in lines {
        if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
            fields[fields.count - 1].value += "\r\n" + line
        } else if let colon = line.firstIndex(of: ":") {
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop(while: { $0 == " " }))))
        }
    }
    return Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
}

/// Decodes a header value made only of "=?UTF-8?B?...?=" words, ignoring the whitespace between them
/// as RFC 2047 §6.2 prescribes.
private func decodeEncodedWords(_ value: String) -> String? {
    var bytes = Data()
    for word in value.split(whereSeparator: { $0 == " " || $0 == "\r\n" }) {
        guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
              let decoded = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
        else { return nil }
        bytes += decoded
    }
    return String(data: bytes, encoding: .utf8)
}

struct SetupError: Error {
    let reason: String
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
final class LoopbackSocket: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init(listening: Bool) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError(reason: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound, !listening || listen(descriptor, 4) == 0 else {
            close(descriptor)
            throw SetupError(reason: "bind/listen: \(errno)")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }

    /// Waits up to `milliseconds` for a client and returns its socket.
    func accept(waitingMilliseconds milliseconds: Int32) -> Int32? {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, milliseconds) == 1 else { return nil }
        let connection = Glibc.accept(descriptor, nil, nil)
        return connection >= 0 ? connection : nil
    }

    /// True if a client has connected; the kernel completes the handshake even before accept().
    func hasPendingConnection() -> Bool {
        guard let connection = accept(waitingMilliseconds: 0) else { return false }
        close(connection)
        return true
    }
}

/// Serves exactly one SMTP session on a background thread, answering each command from a script.
final class FakeSMTPServer: @unchecked Sendable {
    struct Session {
        /// Command lines, without the message content.
        var commands: [String] = []
        /// The message content with dot-stuffing undone, lines joined by CRLF.
        var message: String?
        /// Every byte the client sent.
        var raw: [UInt8] = []
    }

    /// Replies by command verb; "." is the reply to the end of the message content.
    static let defaultReplies = [
        "EHLO": "250 fake.test",
        "HELO": "250 fake.test",
        "MAIL": "250 2.1.0 Ok",
        "RCPT": "250 2.1.5 Ok",
        "DATA": "354 End data with <CR><LF>.<CR><LF>",
        ".": "250 2.0.0 Ok: queued",
        "QUIT": "221 2.0.0 Bye",
    ]

    let port: Int
    private let lock = NSLock()
    private var session = Session()
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - greeting: nil makes the server accept the connection and stay silent.
    ///   - trickle: sends replies a few bytes at a time to exercise the client's line reassembly.
    init(greeting: String? = "220 fake.test ESMTP", replies: [String: String] = [:], trickle: Bool = false) throws {
        let listener = try LoopbackSocket(listening: true)
        port = listener.port
        let script = Self.defaultReplies.merging(replies) { $1 }
        Thread { [self] in
            serve(listener, greeting: greeting, replies: script, trickle: trickle)
            finished.signal()
        }.start()
    }

    /// Waits for the session to end and returns what the client sent.
    func finish() -> Session {
        _ = finished.wait(timeout: .now() + 5)
        return lock.withLock { session }
    }

    private func serve(_ listener: LoopbackSocket, greeting: String?, replies: [String: String], trickle: Bool) {
        guard let connection = listener.accept(waitingMilliseconds: 5_000) else { return }
        defer { close(connection) }
        // Bounds the thread's life if a test leaves the client hanging.
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []

        func reply(_ text: String) {
            let bytes = Array((text + "\r\n").utf8)
            let pieceSize = trickle ? 7 : bytes.count
            for start in stride(from: 0, to: bytes.count, by: pieceSize) {
                let piece = Array(bytes[start..<min(start + pieceSize, bytes.count)])
                guard send(connection, piece, piece.count, Int32(MSG_NOSIGNAL)) == piece.count else { return }
                if trickle {
                    usleep(1_000)
                }
            }
        }

        func readLine() -> String? {
            while true {
                if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if line.last == UInt8(ascii: "\r") {
                        line.removeLast()
                    }
                    return String(decoding: line, as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 4_096)
                let count = recv(connection, &chunk, chunk.count, 0)
                guard count > 0 else { return nil }
                pending += chunk[..<count]
                lock.withLock { session.raw += chunk[..<count] }
            }
        }

        if let greeting {
            reply(greeting)
        }
        while let line = readLine() {
            lock.withLock { session.commands.append(line) }
            let verb = line.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() } ?? ""
            let answer = replies[verb] ?? "500 5.5.2 Command unrecognized"
            reply(answer)
            if verb == "QUIT" {
                return
            }
            if verb == "DATA", answer.hasPrefix("354") {
                var content: [String] = []
                while let dataLine = readLine(), dataLine != "." {
                    content.append(dataLine.utf8.first == UInt8(ascii: ".") ? String(dataLine.dropFirst()) : dataLine)
                }
                lock.withLock { session.message = content.joined(separator: "\r\n") }
                reply(replies["."] ?? "250 Ok")
            }
        }
    }
}
