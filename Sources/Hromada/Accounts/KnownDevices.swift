import Foundation

/// Browsers and API clients that have signed in to an account before, recognised by a signed
/// cookie set on each successful sign-in: `<device id>.<HMAC of the id and the e-mail address>`.
/// Such a device has its own allowance of failed sign-ins, so failures from everywhere else
/// (someone guessing, or trying to lock the owner out) never refuse it. Only a server holding the
/// secret can make the cookie, and it names one account, so a cookie for one's own account is
/// worthless against anyone else's. The server keeps no state for it.
public struct KnownDevices: Sendable {
    /// The cookie's name; it outlives sign-out, as the browser stays the owner's.
    public static let cookieName = "hromada_device"
    public static let lifetimeSeconds = 365 * 24 * 3600
    let key: [UInt8]

    public init(secretKey: [UInt8]) {
        self.key = Crypto.hmacSHA256(key: secretKey, message: Array("hromada known device".utf8))
    }

    /// A new cookie value that marks this device as known to the account with `email`.
    public func token(for email: String) -> String {
        let device = Crypto.randomToken(byteCount: 16)
        return "\(device).\(signature(device: device, email: email))"
    }

    /// The device id in `token` when it was made for `email` (compared as ``AccountRules/normalizedEmail(_:)``
    /// gives it), otherwise `nil`.
    public func device(in token: String?, for email: String) -> String? {
        guard let parts = token?.split(separator: ".", omittingEmptySubsequences: false), parts.count == 2 else { return nil }
        let device = String(parts[0])
        guard Crypto.constantTimeEquals(Array(parts[1].utf8), Array(signature(device: device, email: email).utf8)) else { return nil }
        return device
    }

    private func signature(device: String, email: String) -> String {
        Data(Crypto.hmacSHA256(key: key, message: Array("\(device)|\(AccountRules.normalizedEmail(email))".utf8))).base64URLEncodedString()
    }
}
