import Foundation
import Logging

/// Settings of one web process, from the environment (and command-line flags that override it).
public struct AppConfiguration: Sendable {
    /// `DATABASE_URL`: a libpq URL.
    public var databaseURL: String
    /// `DATABASE_READ_URL`: a hot standby of that database for public reads; unset, they go to the primary.
    public var readDatabaseURL: String?
    /// `HOST` and `PORT` to listen on.
    public var host: String
    public var port: Int
    /// `HROMADA_SECRET_KEY`: at least 32 characters. Keys the CSRF tokens and the document-number
    /// hashes, so it must stay the same across restarts and across the processes of a deployment.
    public var secretKey: [UInt8]
    /// `HROMADA_PUBLIC_URL`: the address people use; `https` turns on Secure cookies.
    public var publicURL: String
    /// `LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: Logger.Level
    /// `HROMADA_DB_POOL_SIZE`: database connections of this process.
    public var databasePoolSize: Int
    /// `HROMADA_EXPORT_CONNECTIONS`: database connections that open-data downloads share (a pool of
    /// their own over the read replica); further downloads wait for one of them. By default one per
    /// processor core, from 2 to 4: each streaming download keeps a core busy encoding its rows, and
    /// more of them at once only take time from signing and reading (`make bench-export`).
    public var exportConnections = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))
    /// `HROMADA_PUBLIC_DIR`: the folder of static files.
    public var publicDirectory: String
    /// `HROMADA_SQL_DIR`: the folder of migrations.
    public var sqlDirectory: String
    /// scrypt cost of new password hashes (log2 N); tests lower it to stay fast.
    public var passwordCost: Int
    /// `HROMADA_RATE_LIMIT_EXEMPT`: comma-separated IP addresses whose requests the per-IP limits
    /// do not count (an administrative service centre behind one address, a load test).
    public var rateLimitExemptIPs: Set<String> = []
    /// `HROMADA_TRUSTED_PROXIES`: comma-separated addresses of reverse proxies whose
    /// `X-Forwarded-For` is believed.
    public var trustedProxies: Set<String> = []
    /// `HROMADA_METRICS_ALLOW`: comma-separated client addresses that may read `/metrics`
    /// (the loopback addresses by default: a Prometheus beside the process).
    public var metricsAllowedIPs: Set<String> = ["127.0.0.1", "::1"]
    /// `HROMADA_METRICS_TOKEN`: a bearer token that opens `/metrics` from any address (a remote
    /// Prometheus's `authorization` setting); unset, only the addresses above may read it.
    public var metricsToken: String?
    /// `HROMADA_SMTP_URL`: `smtp://host:port?from=address`; without it e-mail waits in the outbox.
    public var smtpURL: String?
    /// `HROMADA_LEAFLET_DIR`: the system's copy of Leaflet (Debian's `libjs-leaflet`), served
    /// under `/static/vendor/leaflet/`.
    public var leafletDirectory = "/usr/share/javascript/leaflet"
    /// `HROMADA_TILE_URL`: the map tiles, `{z}/{x}/{y}` as Leaflet writes them. Markers and
    /// vector layers draw without tiles when this server cannot be reached.
    public var tileURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    /// The domain of Message-IDs: the public address's host.
    public var mailDomain: String {
        URL(string: publicURL)?.host ?? "hromada.local"
    }

    public static let minimumSecretLength = 32

    public init(
        databaseURL: String, host: String = "127.0.0.1", port: Int = 8080, secretKey: [UInt8],
        publicURL: String = "http://127.0.0.1:8080", logLevel: Logger.Level = .info, databasePoolSize: Int = 16,
        publicDirectory: String = "Public", sqlDirectory: String = "sql", passwordCost: Int = 15
    ) {
        self.databaseURL = databaseURL
        self.host = host
        self.port = port
        self.secretKey = secretKey
        self.publicURL = publicURL
        self.logLevel = logLevel
        self.databasePoolSize = databasePoolSize
        self.publicDirectory = publicDirectory
        self.sqlDirectory = sqlDirectory
        self.passwordCost = passwordCost
    }

    public enum ConfigurationError: Error, CustomStringConvertible {
        case missing(String)
        case invalid(String, String)

        public var description: String {
            switch self {
            case .missing(let name): return "\(name) is not set"
            case .invalid(let name, let why): return "\(name) is not valid: \(why)"
            }
        }
    }

    /// Reads the environment. Missing optional values take the defaults above.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> AppConfiguration
    {
        guard let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty else {
            throw ConfigurationError.missing("DATABASE_URL")
        }
        let secret = environment["HROMADA_SECRET_KEY"] ?? ""
        var configuration = AppConfiguration(databaseURL: databaseURL, secretKey: Array(secret.utf8))
        if let url = environment["DATABASE_READ_URL"], !url.isEmpty { configuration.readDatabaseURL = url }
        if let host = environment["HOST"] { configuration.host = host }
        if let port = environment["PORT"] {
            guard let value = Int(port), (1...65535).contains(value) else { throw ConfigurationError.invalid("PORT", port) }
            configuration.port = value
        }
        if let url = environment["HROMADA_PUBLIC_URL"] { configuration.publicURL = url }
        if let level = environment["LOG_LEVEL"] {
            guard let value = Logger.Level(rawValue: level) else { throw ConfigurationError.invalid("LOG_LEVEL", level) }
            configuration.logLevel = value
        }
        if let size = environment["HROMADA_DB_POOL_SIZE"] {
            guard let value = Int(size), value > 0 else { throw ConfigurationError.invalid("HROMADA_DB_POOL_SIZE", size) }
            configuration.databasePoolSize = value
        }
        if let size = environment["HROMADA_EXPORT_CONNECTIONS"] {
            guard let value = Int(size), value > 0 else { throw ConfigurationError.invalid("HROMADA_EXPORT_CONNECTIONS", size) }
            configuration.exportConnections = value
        }
        if let directory = environment["HROMADA_PUBLIC_DIR"] { configuration.publicDirectory = directory }
        if let directory = environment["HROMADA_SQL_DIR"] { configuration.sqlDirectory = directory }
        if let smtp = environment["HROMADA_SMTP_URL"], !smtp.isEmpty { configuration.smtpURL = smtp }
        if let directory = environment["HROMADA_LEAFLET_DIR"], !directory.isEmpty { configuration.leafletDirectory = directory }
        if let tiles = environment["HROMADA_TILE_URL"], !tiles.isEmpty { configuration.tileURL = tiles }
        if let proxies = environment["HROMADA_TRUSTED_PROXIES"] {
            configuration.trustedProxies = Set(proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if let allowed = environment["HROMADA_METRICS_ALLOW"] {
            configuration.metricsAllowedIPs = Set(allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if let token = environment["HROMADA_METRICS_TOKEN"], !token.isEmpty {
            guard token.count >= 16 else { throw ConfigurationError.invalid("HROMADA_METRICS_TOKEN", "it must be at least 16 characters") }
            configuration.metricsToken = token
        }
        if let exempt = environment["HROMADA_RATE_LIMIT_EXEMPT"] {
            configuration.rateLimitExemptIPs = Set(exempt.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return configuration
    }

    /// Checks what only a running server needs.
    public func validateForServing() throws {
        guard secretKey.count >= Self.minimumSecretLength else {
            throw ConfigurationError.invalid(
                "HROMADA_SECRET_KEY", "it must be at least \(Self.minimumSecretLength) characters")
        }
        guard publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://") else {
            throw ConfigurationError.invalid("HROMADA_PUBLIC_URL", "it must start with http:// or https://")
        }
    }

    public var usesHTTPS: Bool { publicURL.hasPrefix("https://") }
}
