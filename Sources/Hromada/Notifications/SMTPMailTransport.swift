import Foundation
import Glibc

/// One e-mail to send.
public struct MailMessage: Sendable, Equatable {
    /// The single recipient, used both for `RCPT TO` and for the `To` header.
    public var to: String
    /// The subject line; anything beyond short printable ASCII is sent as RFC 2047 encoded words.
    public var subject: String
    /// The plain-text body; any mix of CR, LF and CRLF line endings is accepted.
    public var body: String

    /// Creates a message for one recipient.
    public init(to: String, subject: String, body: String) {
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Where and how to deliver.
public struct SMTPConfiguration: Sendable, Equatable {
    /// Host name or IP address of the relay.
    public var host: String
    /// TCP port of the relay.
    public var port: Int
    /// Sender address, used both for `MAIL FROM` and for the `From` header.
    public var from: String
    /// The name this client announces in `EHLO` (or `HELO`).
    public var heloName: String
    /// Limit in seconds for establishing the connection and, separately, for each server reply.
    /// Values below 1 are treated as 1, because "no time at all" would make every send fail.
    public var timeoutSeconds: Int

    /// Creates a configuration; the defaults suit a local MTA that relays onward.
    public init(host: String, port: Int = 25, from: String, heloName: String = "hromada.local", timeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.from = from
        self.heloName = heloName
        self.timeoutSeconds = timeoutSeconds
    }

    /// Parses "smtp://host:port?from=noreply@example.ua&helo=web1.example.ua" (port defaults to 25,
    /// `helo` to "hromada.local"); nil when malformed or `from` missing.
    ///
    /// Credentials and paths are rejected rather than ignored: this client cannot authenticate, and
    /// silently dropping them would hide a misconfiguration until the relay refuses mail.
    public init?(url: String) {
        guard let components = URLComponents(string: url),
              components.scheme?.lowercased() == "smtp",
              var host = components.host,
              components.user == nil, components.password == nil,
              components.path.isEmpty || components.path == "/",
              components.fragment == nil
        else { return nil }
        // URLComponents keeps the brackets of an IPv6 literal, which getaddrinfo does not accept.
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        let port = components.port ?? 25
        guard !host.isEmpty, (1...65_535).contains(port),
              let from = components.queryItems?.first(where: { $0.name == "from" })?.value,
              hasAddrSpecShape(from)
        else { return nil }
        self.init(host: host, port: port, from: from,
                  heloName: components.queryItems?.first(where: { $0.name == "helo" })?.value ?? "hromada.local")
    }
}

/// Why a message was not accepted by the relay.
public struct SMTPError: Error, CustomStringConvertible, Sendable {
    /// The step that failed: "connect", "greeting", "EHLO" (also covers the HELO fallback),
    /// "MAIL FROM", "RCPT TO", "DATA", or "message". "message" means the message was refused
    /// before connecting (invalid input) or while or after its content was transferred.
    public var stage: String
    /// The server's reply line(s), joined by newlines, or the system error text.
    public var reply: String
    /// True for 4xx replies and connection problems (worth retrying later); false for 5xx replies
    /// and for input refused before connecting, where retrying cannot help.
    public var isTransient: Bool

    /// A single-line summary suitable for logs.
    public var description: String {
        let kind = isTransient ? "transient" : "permanent"
        let oneLineReply = reply.split(whereSeparator: \.isNewline).joined(separator: " | ")
        return "SMTP \(stage) failed (\(kind)): \(oneLineReply)"
    }
}

/// Sends messages over a plain TCP SMTP connection (RFC 5321): greeting, EHLO (falls back to HELO
/// if EHLO is refused with 5xx), MAIL FROM, RCPT TO, DATA with dot-stuffing and CRLF line endings,
/// QUIT. Blocking: call it from a thread pool, never from an event loop.
public struct SMTPMailTransport: Sendable {
    /// The relay and sender this transport uses.
    public let configuration: SMTPConfiguration

    /// Creates a transport; no connection is made until ``send(_:date:messageID:)``.
    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    /// Blocks until the server accepted the message (250 after the final dot) or throws SMTPError.
    ///
    /// `messageID` is the unique part of the `Message-ID` header, without angle brackets, for
    /// example "outbox-42@hromada.ua"; RFC 5322 requires it to contain "@".
    ///
    /// Once the server has accepted the message, a failing QUIT is ignored: reporting it would make
    /// the caller retry and deliver the message twice.
    public func send(_ message: MailMessage, date: Date = Date(), messageID: String) throws {
        try validate(message, messageID: messageID)
        let payload = Self.dataPayload(
            Self.messageLines(message, from: configuration.from, date: date, messageID: messageID)
        )
        let timeout = Duration.seconds(max(configuration.timeoutSeconds, 1))
        let connection = try SMTPConnection.open(host: configuration.host, port: configuration.port, timeout: timeout)
        defer { connection.quitAndClose() }

        try connection.readReply(stage: "greeting").require([220], stage: "greeting")
        var hello = try connection.command("EHLO \(configuration.heloName)", stage: "EHLO")
        if hello.code / 100 == 5 {
            // Pre-ESMTP servers only know HELO; no extension is needed, so the old greeting is enough.
            hello = try connection.command("HELO \(configuration.heloName)", stage: "EHLO")
        }
        try hello.require([250], stage: "EHLO")
        try connection.command("MAIL FROM:<\(configuration.from)>", stage: "MAIL FROM").require([250], stage: "MAIL FROM")
        // 251 means the server will forward to the recipient's new address, which is still a success.
        try connection.command("RCPT TO:<\(message.to)>", stage: "RCPT TO").require([250, 251], stage: "RCPT TO")
        try connection.command("DATA", stage: "DATA").require([354], stage: "DATA")
        try connection.write(payload, stage: "message")
        try connection.readReply(stage: "message").require([250], stage: "message")
    }

    /// Refuses input that would corrupt the SMTP dialogue or the headers, before any connection is made.
    private func validate(_ message: MailMessage, messageID: String) throws {
        func refuse(_ reason: String) -> SMTPError {
            SMTPError(stage: "message", reply: reason, isTransient: false)
        }
        let headerValues = [
            ("recipient address", message.to),
            ("sender address", configuration.from),
            ("subject", message.subject),
            ("message ID", messageID),
            ("HELO name", configuration.heloName),
        ]
        // A line break would let the value end its header or command and start a forged one.
        for (name, value) in headerValues where value.utf8.contains(where: { $0 == .cr || $0 == .lf }) {
            throw refuse("\(name) \(String(reflecting: value)) contains a line break")
        }
        guard hasAddrSpecShape(message.to) else {
            throw refuse("recipient address \(String(reflecting: message.to)) is not a plain ASCII user@domain address")
        }
        guard hasAddrSpecShape(configuration.from) else {
            throw refuse("sender address \(String(reflecting: configuration.from)) is not a plain ASCII user@domain address")
        }
        guard hasAddrSpecShape(messageID) else {
            throw refuse("message ID \(String(reflecting: messageID)) is not of the form unique@domain")
        }
        guard !configuration.heloName.isEmpty, configuration.heloName.utf8.allSatisfy(isVisibleASCII) else {
            throw refuse("HELO name \(String(reflecting: configuration.heloName)) is not a plain ASCII domain")
        }
    }

    /// The message as lines without terminators: headers, a blank line, then the base64 body.
    static func messageLines(_ message: MailMessage, from: String, date: Date, messageID: String) -> [String] {
        var lines = ["From: \(from)", "To: \(message.to)"]
        lines += subjectHeaderLines(message.subject)
        lines += [
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            // base64 keeps the body 7-bit and free of long lines, whatever the relay supports.
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += base64Lines(canonicalText(message.body))
        return lines
    }

    /// The bytes to send after the server's 354: CRLF-terminated, dot-stuffed lines and the final dot.
    static func dataPayload(_ lines: [String]) -> [UInt8] {
        var payload: [UInt8] = []
        for line in lines {
            // RFC 5321 §4.5.2: a leading dot is doubled so the line cannot end the data early.
            // Checked on bytes because a dot followed by a combining mark is not a "." Character.
            if line.utf8.first == .dot {
                payload.append(.dot)
            }
            payload += line.utf8
            payload += [.cr, .lf]
        }
        payload += [.dot, .cr, .lf]
        return payload
    }

    /// The `Subject` header, folded over several lines when it needs more than one encoded word.
    static func subjectHeaderLines(_ subject: String) -> [String] {
        let prefix = "Subject: "
        let fitsAsPlainText = subject.utf8.allSatisfy { $0 == .space || isVisibleASCII($0) }
            && !subject.contains("=?") // a reader could take such text for an encoded word
            && prefix.utf8.count + subject.utf8.count <= 78
        guard !fitsAsPlainText else {
            return [prefix + subject]
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        // Splitting between Unicode scalars keeps every UTF-8 sequence inside one encoded word.
        for scalar in subject.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > encodedWordPayloadBytes {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        words.append(encodedWord(chunk))
        return [prefix + words[0]] + words.dropFirst().map { " " + $0 }
    }

    /// 39 bytes become 52 base64 characters, so a word is 64 characters long (within RFC 2047's 75)
    /// and even the first line, "Subject: " plus one word, stays within its 76-character line limit.
    private static let encodedWordPayloadBytes = 39

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// UTF-8 text with every CR, LF or CRLF turned into CRLF, the canonical form MIME requires
    /// for text before it is base64-encoded (RFC 2045 §6.8).
    private static func canonicalText(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var followsCR = false
        for byte in text.utf8 {
            switch byte {
            case .cr:
                bytes += [.cr, .lf]
                followsCR = true
            case .lf:
                if !followsCR {
                    bytes += [.cr, .lf]
                }
                followsCR = false
            default:
                bytes.append(byte)
                followsCR = false
            }
        }
        return bytes
    }

    /// Base64 wrapped at 76 characters, the limit RFC 2045 sets for encoded lines.
    private static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            String(decoding: encoded[start..<min(start + 76, encoded.count)], as: UTF8.self)
        }
    }

    private static func rfc5322Date(_ date: Date) -> String {
        // A fresh formatter per call: DateFormatter is not Sendable, and one message needs one date.
        let formatter = DateFormatter()
        // en_US_POSIX pins English day and month names and the Gregorian calendar, whatever the host locale.
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

/// True for "local@domain" made of visible ASCII without angle brackets: the shape that can be put
/// between "<" and ">" in an SMTP command or a Message-ID without changing their meaning.
/// Non-ASCII addresses would need SMTPUTF8, which this client does not implement.
private func hasAddrSpecShape(_ value: String) -> Bool {
    let bytes = Array(value.utf8)
    guard bytes.allSatisfy({ isVisibleASCII($0) && $0 != .lessThan && $0 != .greaterThan }),
          let at = bytes.lastIndex(of: .at)
    else { return false }
    return at > bytes.startIndex && at < bytes.endIndex - 1
}

private func isVisibleASCII(_ byte: UInt8) -> Bool {
    byte > .space && byte < 0x7F
}

private extension UInt8 {
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let dot = UInt8(ascii: ".")
    static let at = UInt8(ascii: "@")
    static let dash = UInt8(ascii: "-")
    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")
}

/// One complete, possibly multi-line, server reply.
private struct SMTPReply {
    let code: Int
    let lines: [String]

    /// Throws unless the reply code is one of `accepted`.
    func require(_ accepted: Set<Int>, stage: String) throws {
        guard !accepted.contains(code) else { return }
        // Only 5xx is a definite refusal; 4xx and out-of-protocol codes may clear up on a later attempt.
        throw SMTPError(stage: stage, reply: lines.joined(separator: "\n"), isTransient: code / 100 != 5)
    }
}

/// A blocking SMTP connection, used by one thread for one message.
private final class SMTPConnection {
    /// RFC 5321 allows 512 bytes per reply line; the margin tolerates sloppy servers, while the
    /// limits stop a broken peer from making us buffer without bound.
    private static let maxReplyLineBytes = 4_096
    private static let maxReplyLines = 100

    private let socket: Int32
    private let replyTimeout: Duration
    private var received: [UInt8] = []
    /// False once the stream can no longer be trusted (I/O error, timeout, garbled reply), so that
    /// closing does not wait for a QUIT reply from a dead or desynchronised peer.
    private var isInSync = true

    private init(socket: Int32, replyTimeout: Duration) {
        self.socket = socket
        self.replyTimeout = replyTimeout
    }

    /// Connects to the first address of `host` that answers; `timeout` bounds the whole attempt.
    static func open(host: String, port: Int, timeout: Duration) throws -> SMTPConnection {
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var addresses: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &addresses)
        guard status == 0, let first = addresses else {
            let reason = status == EAI_SYSTEM ? systemErrorText(errno) : String(cString: gai_strerror(status))
            throw SMTPError(stage: "connect", reply: "cannot resolve \(host): \(reason)", isTransient: true)
        }
        defer { freeaddrinfo(first) }

        var failures: [String] = []
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            do {
                let socket = try connectSocket(to: address.pointee, before: deadline, sendTimeout: timeout)
                return SMTPConnection(socket: socket, replyTimeout: timeout)
            } catch {
                failures.append(error.reply)
            }
        }
        throw SMTPError(stage: "connect", reply: "\(host):\(port): " + failures.joined(separator: "; "), isTransient: true)
    }

    private static func connectSocket(
        to address: addrinfo, before deadline: ContinuousClock.Instant, sendTimeout: Duration
    ) throws(SMTPError) -> Int32 {
        func failure(_ reason: String) -> SMTPError {
            SMTPError(stage: "connect", reply: reason, isTransient: true)
        }
        // CLOEXEC keeps the socket out of any process the application spawns meanwhile.
        let socket = Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
        guard socket >= 0 else { throw failure(systemErrorText(errno)) }
        var isConnected = false
        defer {
            if !isConnected {
                Glibc.close(socket)
            }
        }

        // connect() has no timeout of its own, so it runs non-blocking while poll() waits for it.
        let flags = fcntl(socket, F_GETFL)
        guard flags >= 0, fcntl(socket, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw failure(systemErrorText(errno))
        }
        if Glibc.connect(socket, address.ai_addr, address.ai_addrlen) != 0 {
            // After EINTR the connection attempt carries on in the background, just as after EINPROGRESS.
            guard errno == EINPROGRESS || errno == EINTR else { throw failure(systemErrorText(errno)) }
            var pending = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            while true {
                let remaining = deadline - .now
                guard remaining > .zero else { throw failure("timed out connecting") }
                let ready = poll(&pending, 1, milliseconds(remaining))
                if ready > 0 { break }
                if ready < 0, errno != EINTR { throw failure(systemErrorText(errno)) }
            }
            var connectError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(socket, SOL_SOCKET, SO_ERROR, &connectError, &length) == 0 else {
                throw failure(systemErrorText(errno))
            }
            guard connectError == 0 else { throw failure(systemErrorText(connectError)) }
        }
        // Back to blocking mode: from here on SO_SNDTIMEO and SO_RCVTIMEO bound each call.
        var sendLimit = timeval(sendTimeout)
        guard fcntl(socket, F_SETFL, flags) == 0,
              setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &sendLimit, socklen_t(MemoryLayout<timeval>.size)) == 0
        else { throw failure(systemErrorText(errno)) }
        isConnected = true
        return socket
    }

    /// Sends one command line and reads the complete reply to it.
    func command(_ line: String, stage: String) throws -> SMTPReply {
        try write(Array(line.utf8) + [.cr, .lf], stage: stage)
        return try readReply(stage: stage)
    }

    func write(_ bytes: [UInt8], stage: String) throws {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a peer that has gone away must produce EPIPE, not a process-killing SIGPIPE.
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.send(socket, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                sent += count
                continue
            }
            let code = errno
            if code == EINTR { continue }
            throw lostSync(stage, code == EAGAIN || code == EWOULDBLOCK ? "timed out sending to the server" : systemErrorText(code))
        }
    }

    /// Reads lines until the one without a "-" after the code; `replyTimeout` bounds the whole reply.
    func readReply(stage: String) throws -> SMTPReply {
        let deadline = ContinuousClock.now + replyTimeout
        var lines: [String] = []
        var code: Int?
        while lines.count < Self.maxReplyLines {
            let bytes = try readLine(before: deadline, stage: stage)
            let line = String(decoding: bytes, as: UTF8.self)
            guard let parsed = Self.parseReplyLine(bytes), code == nil || code == parsed.code else {
                throw lostSync(stage, "malformed reply line: \(String(reflecting: line))")
            }
            code = parsed.code
            lines.append(line)
            if parsed.isLast {
                return SMTPReply(code: parsed.code, lines: lines)
            }
        }
        throw lostSync(stage, "reply longer than \(Self.maxReplyLines) lines")
    }

    /// Says goodbye when the dialogue is still intact, then always closes the socket.
    func quitAndClose() {
        if isInSync {
            _ = try? command("QUIT", stage: "QUIT")
        }
        Glibc.close(socket)
    }

    /// "250-text" continues a reply; "250 text" or a bare "250" ends it (RFC 5321 §4.2.1).
    private static func parseReplyLine(_ line: [UInt8]) -> (code: Int, isLast: Bool)? {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        switch line.dropFirst(3).first {
        case nil, .space?: return (code, true)
        case .dash?: return (code, false)
        default: return nil
        }
    }

    /// One line without its terminator; a bare LF is accepted as well as CRLF.
    private func readLine(before deadline: ContinuousClock.Instant, stage: String) throws -> [UInt8] {
        while true {
            if let newline = received.firstIndex(of: .lf) {
                var line = Array(received[..<newline])
                received.removeSubrange(...newline)
                if line.last == .cr {
                    line.removeLast()
                }
                return line
            }
            guard received.count <= Self.maxReplyLineBytes else {
                throw lostSync(stage, "reply line longer than \(Self.maxReplyLineBytes) bytes")
            }
            try receive(before: deadline, stage: stage)
        }
    }

    private func receive(before deadline: ContinuousClock.Instant, stage: String) throws {
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { throw lostSync(stage, "timed out waiting for the server's reply") }
            // SO_RCVTIMEO bounds a single recv(); re-arming it with the time left makes the limit hold
            // for the whole reply even when the server trickles it out.
            var limit = timeval(remaining)
            guard setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw lostSync(stage, systemErrorText(errno))
            }
            let count = chunk.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += chunk[..<count]
                return
            }
            if count == 0 { throw lostSync(stage, "connection closed by the server") }
            let code = errno
            // A timeout loops back to the deadline check; an interrupted call is simply repeated.
            if code != EINTR, code != EAGAIN, code != EWOULDBLOCK {
                throw lostSync(stage, systemErrorText(code))
            }
        }
    }

    /// An error after which the byte stream cannot be trusted any more; always worth retrying later.
    private func lostSync(_ stage: String, _ reason: String) -> SMTPError {
        isInSync = false
        return SMTPError(stage: stage, reply: reason, isTransient: true)
    }
}

private func systemErrorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// poll() takes whole milliseconds; rounding up avoids spinning on a zero timeout just before the deadline.
private func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    guard seconds < Int64(Int32.max / 1_000) else { return Int32.max }
    return Int32(seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
}

private extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        // An all-zero timeval would switch the socket timeout off instead of expiring at once.
        if tv_sec == 0, tv_usec == 0 {
            tv_usec = 1
        }
    }
}
