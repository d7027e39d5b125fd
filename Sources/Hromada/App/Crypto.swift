import COpenSSL
import Foundation

/// The cryptographic primitives Hromada uses, all from OpenSSL's libcrypto.
public enum Crypto {
    /// Cryptographically secure random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            fatalError("OpenSSL could not produce random bytes")
        }
        return bytes
    }

    /// A random token of `byteCount` bytes, as URL-safe base64 without padding.
    public static func randomToken(byteCount: Int = 32) -> String {
        Data(randomBytes(byteCount)).base64URLEncodedString()
    }

    /// Lower-case hexadecimal, two digits per byte.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func sha256(_ message: some Collection<UInt8>) -> [UInt8] {
        let input = Array(message)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(input, input.count, &digest, &length, EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL SHA-256 failed")
        }
        return Array(digest.prefix(Int(length)))
    }

    public static func hmacSHA256(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        let input = Array(message)
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard HMAC(EVP_sha256(), key, Int32(key.count), input, input.count, &mac, &length) != nil else {
            fatalError("OpenSSL HMAC-SHA256 failed")
        }
        return Array(mac.prefix(Int(length)))
    }

    /// Compares in time that depends only on the length, so a guess learns nothing from timing.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return CRYPTO_memcmp(lhs, rhs, lhs.count) == 0
    }

    public struct ScryptParameters: Sendable, Equatable {
        /// log2 of the cost N; 15 (N = 32768, 32 MiB of memory) or more in production.
        public var logN: Int
        public var r: Int
        public var p: Int
        public init(logN: Int, r: Int = 8, p: Int = 1) {
            self.logN = logN
            self.r = r
            self.p = p
        }
    }

    /// scrypt key derivation (RFC 7914). Costs about a tenth of a second at N = 2^15: call it off the
    /// event loops.
    public static func scrypt(password: [UInt8], salt: [UInt8], parameters: ScryptParameters, length: Int = 32) -> [UInt8]? {
        let n = UInt64(1) << UInt64(parameters.logN)
        let memoryNeeded = 128 * n * UInt64(parameters.r) * UInt64(parameters.p) + (1 << 20)
        var key = [UInt8](repeating: 0, count: length)
        let status = EVP_PBE_scrypt(
            password.map { CChar(bitPattern: $0) }, password.count, salt, salt.count, n, UInt64(parameters.r),
            UInt64(parameters.p), memoryNeeded * 2, &key, length
        )
        return status == 1 ? key : nil
    }
}

extension Data {
    public func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
