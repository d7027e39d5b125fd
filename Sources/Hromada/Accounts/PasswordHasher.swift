import Foundation

/// Hashes passwords with scrypt and a per-person random salt.
///
/// The stored form names its parameters, `scrypt$15$8$1$<salt>$<hash>`, so the cost can be raised
/// later without invalidating existing passwords.
public struct PasswordHasher: Sendable {
    public var parameters: Crypto.ScryptParameters

    public init(parameters: Crypto.ScryptParameters = .init(logN: 15)) {
        self.parameters = parameters
    }

    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(16)
        guard let key = Crypto.scrypt(password: Array(password.utf8), salt: salt, parameters: parameters) else {
            fatalError("scrypt failed with valid parameters")
        }
        return ["scrypt", String(parameters.logN), String(parameters.r), String(parameters.p),
                Data(salt).base64EncodedString(), Data(key).base64EncodedString()].joined(separator: "$")
    }

    /// Whether `password` matches a stored hash. A malformed stored hash never matches.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]),
            let p = Int(parts[3]), (10...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
            let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5])
        else { return false }
        guard let key = Crypto.scrypt(
            password: Array(password.utf8), salt: Array(salt), parameters: .init(logN: logN, r: r, p: p),
            length: expected.count)
        else { return false }
        return Crypto.constantTimeEquals(key, Array(expected))
    }
}
