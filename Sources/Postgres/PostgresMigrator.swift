import Foundation

/// Applies the numbered SQL files of a directory (`0001_extensions.sql`, …) in order.
///
/// Each file runs in its own transaction and is recorded in `schema_migrations` with a SHA-256
/// checksum of its text. The whole run holds an advisory lock, so processes starting together
/// apply each migration once. A file whose text changed after it was applied is an error:
/// write a new migration instead.
public struct PostgresMigrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    public enum MigrationError: Error, CustomStringConvertible, Equatable {
        case badFileName(String)
        case duplicateVersion(Int)
        case checksumMismatch(version: Int, name: String)

        public var description: String {
            switch self {
            case .badFileName(let name):
                return "migration file \(name) is not named NNNN_description.sql"
            case .duplicateVersion(let version):
                return "two migration files have the number \(version)"
            case .checksumMismatch(let version, let name):
                return "migration \(version) (\(name)) was edited after it was applied; add a new migration instead"
            }
        }
    }

    /// An arbitrary constant shared by every process of the application.
    static let advisoryLockKey = 7_244_019_331

    public var migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Reads every `*.sql` file of `directory`.
    public init(directory: URL) throws {
        var migrations: [Migration] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError.badFileName(file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        let versions = migrations.map(\.version)
        if let duplicate = versions.first(where: { version in versions.filter { $0 == version }.count > 1 }) {
            throw MigrationError.duplicateVersion(duplicate)
        }
        self.init(migrations: migrations)
    }

    /// Applies what is not yet applied and returns those migrations.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Migration] {
        try await pool.withConnection { session in
            try await session.query("SELECT pg_advisory_lock($1)", Self.advisoryLockKey)
            do {
                let applied = try await applyPending(session)
                try await session.query("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey)
                return applied
            } catch {
                _ = try? await session.query("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey)
                throw error
            }
        }
    }

    private func applyPending(_ session: PostgresSession) async throws -> [Migration] {
        try await session.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        var appliedChecksums: [Int: String] = [:]
        for row in try await session.query("SELECT version, checksum FROM schema_migrations") {
            appliedChecksums[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        var applied: [Migration] = []
        for migration in migrations {
            let checksum = try await session.query(
                "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS checksum", migration.sql
            )[0].decode("checksum", as: String.self)
            if let recorded = appliedChecksums[migration.version] {
                guard recorded == checksum else {
                    throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
                }
                continue
            }
            try await session.inTransaction { session in
                try await session.execute(migration.sql)
                try await session.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version, migration.name, checksum
                )
            }
            applied.append(migration)
        }
        return applied
    }
}
