import Foundation

/// CSRF tokens bound to the browser session: an HMAC of the session token's hash (or, before
/// sign-in, of the visitor cookie) under a key derived from the server secret. A token from one
/// session is worthless in another, and the server keeps no token state.
public struct CSRFProtection: Sendable {
    let key: [UInt8]

    public init(secretKey: [UInt8]) {
        self.key = Crypto.hmacSHA256(key: secretKey, message: Array("hromada csrf".utf8))
    }

    public func token(binding: [UInt8]) -> String {
        Data(Crypto.hmacSHA256(key: key, message: binding)).base64URLEncodedString()
    }

    public func isValid(_ token: String, binding: [UInt8]) -> Bool {
        guard let presented = Data(base64URLEncoded: token) else { return false }
        return Crypto.constantTimeEquals(Array(presented), Crypto.hmacSHA256(key: key, message: binding))
    }
}
