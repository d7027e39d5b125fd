import Foundation
import Postgres

/// Fixed-window rate limits counted in PostgreSQL, so every web process shares them.
///
/// Client addresses are counted by ``addressKey(_:)``: an IPv4 address by itself, an IPv6 address
/// by its /64, the block one subscriber line or one host gets; counting single IPv6 addresses
/// would give everyone 2^64 fresh allowances.
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

    /// One charge against one bucket: `cost` units (an item, or bytes) of at most `maximum` per
    /// window of `windowSeconds`.
    public struct Charge: Sendable, Equatable {
        public var bucket: String
        public var cost: Int
        public var maximum: Int
        public var windowSeconds: Int
        public init(bucket: String, cost: Int, maximum: Int, windowSeconds: Int) {
            self.bucket = bucket
            self.cost = cost
            self.maximum = maximum
            self.windowSeconds = windowSeconds
        }
    }

    let database: PostgresPool
    /// The ``addressKey(_:)`` of every address in `HROMADA_RATE_LIMIT_EXEMPT`: a service centre's
    /// NAT, where many residents share one address. An exempt IPv6 address exempts its /64, the
    /// unit the limits count.
    let exemptKeys: Set<String>

    public init(database: PostgresPool, exemptAddresses: Set<String> = []) {
        self.database = database
        self.exemptKeys = Set(exemptAddresses.map(Self.addressKey))
    }

    /// The key a client address is counted under: an IPv4 address as itself, an IPv4-mapped IPv6
    /// address (`::ffff:192.0.2.1`) as that IPv4 address, any other IPv6 address as its /64
    /// (`2001:db8:1:2::/64`). Text that is not an address is its own key.
    public static func addressKey(_ address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, address, &bytes) == 1 {
            return bytes[0..<4].map(String.init).joined(separator: ".")
        }
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// Whether the per-address limits leave `address` uncounted (`HROMADA_RATE_LIMIT_EXEMPT`).
    public func isExempt(_ address: String) -> Bool {
        exemptKeys.contains(Self.addressKey(address))
    }

    /// Seconds from `now` until the current window of `windowSeconds` ends: what `Retry-After` says.
    public static func secondsLeft(inWindowOf windowSeconds: Int, now: Date = Date()) -> Int {
        windowSeconds - Int(now.timeIntervalSince1970.rounded(.down)) % windowSeconds
    }

    /// Counts one attempt from a client address (by its ``addressKey(_:)``) under `rule`; an exempt
    /// address is always allowed and not counted.
    public func allow(_ rule: Rule, address: String?) async throws -> Bool {
        guard let address else { return try await allow(rule, key: "unknown") }
        if isExempt(address) { return true }
        return try await allow(rule, key: Self.addressKey(address))
    }

    /// Counts one attempt under `rule` for `key` (an account, an address key) and tells whether it
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

    /// Adds every charge to its bucket's current window, in the caller's transaction, as far as
    /// each stays within its maximum; returns the buckets that would have gone over, which were
    /// left as they were. The caller rolls its transaction back when any was refused, so the
    /// charges are all counted or none. Buckets are taken in name order, so two transactions
    /// charging the same buckets wait for each other instead of deadlocking.
    public func spend(_ charges: [Charge], on session: PostgresSession) async throws -> [Charge] {
        guard !charges.isEmpty else { return [] }
        let refused = try await session.query(
            """
            WITH wanted AS (
                SELECT bucket, to_timestamp(floor(extract(epoch FROM now()) / window_seconds) * window_seconds) AS window_start,
                       cost, maximum
                FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS charge(bucket, window_seconds, cost, maximum)
                ORDER BY bucket
            ), spent AS (
                INSERT INTO rate_limit_windows AS w (bucket, window_start, hits)
                SELECT bucket, window_start, cost FROM wanted WHERE cost <= maximum
                ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + excluded.hits
                WHERE w.hits + excluded.hits <= (SELECT maximum FROM wanted WHERE wanted.bucket = excluded.bucket)
                RETURNING bucket
            )
            SELECT bucket FROM wanted WHERE bucket NOT IN (SELECT bucket FROM spent)
            """, charges.map(\.bucket), charges.map(\.windowSeconds), charges.map(\.cost), charges.map(\.maximum)
        ).map { try $0.decode("bucket", as: String.self) }
        return charges.filter { refused.contains($0.bucket) }
    }

    /// Deletes windows older than a week (the longest window a community can choose).
    static func prune(on session: PostgresSession) async throws {
        try await session.query("DELETE FROM rate_limit_windows WHERE window_start < now() - interval '8 days'")
    }
}

extension RateLimiter.Rule {
    /// Failed sign-ins for one e-mail address from one address key: 10 per 15 minutes.
    public static let signInFailuresPerAccountAndIP = Self(name: "signin-fail-account-ip", limit: 10, windowSeconds: 900)
    /// Failed sign-ins for one e-mail address from devices that never signed in to it: 100 per
    /// 15 minutes, a brake on distributed guessing. It does not apply to the account's known
    /// devices (``KnownDevices``), so nobody can lock the owner out with it.
    public static let signInFailuresPerAccount = Self(name: "signin-fail-account", limit: 100, windowSeconds: 900)
    /// Failed sign-ins from one known device: 10 per 15 minutes, that device's own allowance.
    public static let signInFailuresPerKnownDevice = Self(name: "signin-fail-device", limit: 10, windowSeconds: 900)
    /// Sign-in attempts from known devices at one address key: 50 per 15 minutes, counted apart
    /// from everyone else's so that a flood from an address does not refuse its owners.
    public static let signInKnownDevicesPerIP = Self(name: "signin-known-ip", limit: 50, windowSeconds: 900)
    /// Sign-in attempts from unknown devices at one address key: 50 per 15 minutes (a shared office or school network).
    public static let signInPerIP = Self(name: "signin-ip", limit: 50, windowSeconds: 900)
    /// New accounts from one address key: 20 per hour.
    public static let signUpPerIP = Self(name: "signup-ip", limit: 20, windowSeconds: 3600)
    /// Confirmation links sent again to one account: 5 per hour (the first, at sign-up, is not counted).
    public static let confirmationResendPerAccount = Self(name: "confirm-resend-account", limit: 5, windowSeconds: 3600)
    /// Password reset links mailed to one account: 5 per hour. Requests past it send nothing and
    /// are answered as every other request is; the links already sent keep working.
    public static let passwordResetPerAccount = Self(name: "reset-account", limit: 5, windowSeconds: 3600)
    /// Password reset requests from one address key, whatever address they name: 20 per hour.
    public static let passwordResetPerIP = Self(name: "reset-ip", limit: 20, windowSeconds: 3600)
}
