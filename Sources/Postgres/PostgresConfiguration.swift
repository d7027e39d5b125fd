/// How to reach the database and how each session is set up.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection URI (`postgres://user@host:5432/db?sslmode=require`) or keyword string.
    /// Unix-socket directories go in `host` (`postgres:///db?host=/run/postgresql`) or
    /// percent-encoded in the authority (`postgres://%2Frun%2Fpostgresql/db`); libpq parses it,
    /// so every libpq parameter, `sslmode` among them, is passed through.
    public var url: String
    /// Upper bound on how long one statement may run, in milliseconds (0 means none).
    public var statementTimeoutMilliseconds: Int
    /// How long to wait for the server when connecting, in seconds.
    public var connectTimeoutSeconds: Int
    /// Shown in `pg_stat_activity.application_name`.
    public var applicationName: String
    /// Statements each connection keeps prepared. Set 0 behind a pooler that cannot follow named
    /// prepared statements (PgBouncer before 1.21 in transaction mode).
    public var preparedStatementCacheSize: Int

    public init(
        url: String, statementTimeoutMilliseconds: Int = 30_000, connectTimeoutSeconds: Int = 5,
        applicationName: String = "hromada", preparedStatementCacheSize: Int = 256
    ) {
        self.url = url
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
        self.preparedStatementCacheSize = preparedStatementCacheSize
    }

    /// The same server, another database (used to create and drop test databases).
    public func replacingDatabase(with name: String) -> PostgresConfiguration {
        var copy = self
        copy.url = PostgresConfiguration.url(url, withDatabase: name)
        return copy
    }

    static func url(_ url: String, withDatabase name: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url + " dbname=\(name)" }
        let afterScheme = url[schemeEnd.upperBound...]
        let queryStart = afterScheme.firstIndex(of: "?") ?? afterScheme.endIndex
        let authorityAndPath = afterScheme[..<queryStart]
        let authority = authorityAndPath.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return url[..<schemeEnd.upperBound] + authority + "/" + name + afterScheme[queryStart...]
    }
}
