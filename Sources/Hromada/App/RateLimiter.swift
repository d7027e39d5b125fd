import Foundation
import Postgres

/// Fixed-window rate limits counted in PostgreSQL, so every web process shares them.
public struct RateLimiter: Sendable {
    public struct Rule: Sendable {
        public var name: String
        public var limit: Int
        public var windowSeconds: Int
        public init(name: String, limit: Int, windowSeconds: Int) {
            self.name = name
            self.limit = limit
            self.windowSeconds = windowSeconds
        }
    }

    let database: PostgresPool
    /// Addresses whose attempts the per-address rules do not count (`HROMADA_RATE_LIMIT_EXEMPT`):
    /// a service centre's NAT, where many residents share one address.
    var exemptAddresses: Set<String> = []

    /// Counts one attempt from a client address under `rule`; an exempt address is always allowed
    /// and not counted.
    public func allow(_ rule: Rule, address: String?) async throws -> Bool {
        if let address, exemptAddresses.contains(address) { return true }
        return try await allow(rule, key: address ?? "unknown")
    }

    /// Counts one attempt under `rule` for `key` (an account, an IP address) and tells whether it
    /// stays within the limit.
    public func allow(_ rule: Rule, key: String) async throws -> Bool {
        let hits = try await database.query(
            """
            INSERT INTO rate_limit_windows (bucket, window_start, hits)
            VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
            RETURNING hits
            """, "\(rule.name):\(key)", rule.windowSeconds)[0].decode("hits", as: Int.self)
        return hits <= rule.limit
    }

    /// Whether `key` has used up `rule` in the current window, without counting an attempt.
    public func isExceeded(_ rule: Rule, key: String) async throws -> Bool {
        let rows = try await database.query(
            """
            SELECT hits FROM rate_limit_windows
            WHERE bucket = $1 AND window_start = to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)
            """, "\(rule.name):\(key)", rule.windowSeconds)
        return try (rows.first?.decode("hits", as: Int.self) ?? 0) >= rule.limit
    }

    /// Deletes windows older than a day.
    public func prune() async throws {
        try await database.query("DELETE FROM rate_limit_windows WHERE window_start < now() - interval '1 day'")
    }
}

extension RateLimiter.Rule {
    /// Failed sign-ins for one e-mail address from one IP address: 10 per 15 minutes.
    public static let signInFailuresPerAccountAndIP = Self(name: "signin-fail-account-ip", limit: 10, windowSeconds: 900)
    /// Failed sign-ins for one e-mail address from anywhere: 100 per 15 minutes, a brake on
    /// distributed guessing that a prankster cannot trigger cheaply to lock someone out.
    public static let signInFailuresPerAccount = Self(name: "signin-fail-account", limit: 100, windowSeconds: 900)
    /// Sign-in attempts from one IP address: 50 per 15 minutes (a shared office or school network).
    public static let signInPerIP = Self(name: "signin-ip", limit: 50, windowSeconds: 900)
    /// New accounts from one IP address: 20 per hour.
    public static let signUpPerIP = Self(name: "signup-ip", limit: 20, windowSeconds: 3600)
}
