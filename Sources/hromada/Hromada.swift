import ArgumentParser
import Foundation
import Hromada
import Logging
import Postgres

@main
struct HromadaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada",
        abstract: "Hromada: e-petitions, consultations, Open City, participatory budget and a geoportal for communities.",
        subcommands: [Serve.self, Migrate.self, SeedDemo.self, CreateCommunity.self, CreateUser.self, ImportLayer.self],
        defaultSubcommand: Serve.self)
}

/// Flags shared by every command; each overrides its environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Folder of numbered SQL migrations (HROMADA_SQL_DIR).")
    var sqlDirectory: String?

    func configuration() throws -> AppConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL { environment["DATABASE_URL"] = databaseURL }
        if let sqlDirectory { environment["HROMADA_SQL_DIR"] = sqlDirectory }
        return try AppConfiguration.fromEnvironment(environment)
    }
}

func makeLogger(_ level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "hromada")
    logger.logLevel = level
    return logger
}

func migrate(_ configuration: AppConfiguration, pool: PostgresPool, logger: Logger) async throws {
    let migrator = try PostgresMigrator(directory: URL(fileURLWithPath: configuration.sqlDirectory))
    let applied = try await migrator.migrate(pool)
    for migration in applied {
        logger.info("applied migration \(migration.version) \(migration.name)")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (HOST).") var host: String?
    @Option(help: "Port to listen on (PORT).") var port: Int?
    @Option(help: "A hot standby for public reads (DATABASE_READ_URL).") var databaseReadURL: String?

    func run() async throws {
        var configuration = try common.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let databaseReadURL { configuration.readDatabaseURL = databaseReadURL }
        try configuration.validateForServing()
        let logger = makeLogger(configuration.logLevel)
        let pool = PostgresPool(
            configuration: PostgresConfiguration(url: configuration.databaseURL), size: configuration.databasePoolSize,
            logger: logger)
        try await migrate(configuration, pool: pool, logger: logger)
        let replica = configuration.readDatabaseURL.map {
            PostgresPool(configuration: PostgresConfiguration(url: $0), size: configuration.databasePoolSize, logger: logger)
        }
        var mailTransport: (any MailTransport)?
        if let url = configuration.smtpURL {
            guard let smtp = SMTPConfiguration(url: url) else {
                throw ValidationError("HROMADA_SMTP_URL must look like smtp://host:25?from=noreply@example.ua")
            }
            mailTransport = SMTPDelivery(configuration: smtp)
        }
        let services = try await AppServices(
            configuration: configuration, database: pool, replica: replica, logger: logger, mailTransport: mailTransport)
        let worker = JobWorker(queue: services.jobs, handlers: services.jobHandlers, logger: logger)
        let jobs = Task {
            await worker.run(listener: PostgresListener(configuration: pool.configuration, logger: logger),
                             recurring: AppServices.recurringJobs)
        }
        let sessionChanges = Task {
            await services.sessions.followChanges(PostgresListener(configuration: pool.configuration, logger: logger))
        }
        defer {
            jobs.cancel()
            sessionChanges.cancel()
        }
        logger.info("Hromada serves on http://\(configuration.host):\(configuration.port)")
        try await buildApplication(services: services).runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations that are not yet applied.")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let configuration = try common.configuration()
        let logger = makeLogger(configuration.logLevel)
        let pool = PostgresPool(configuration: PostgresConfiguration(url: configuration.databaseURL), size: 1, logger: logger)
        try await migrate(configuration, pool: pool, logger: logger)
        await pool.shutdown()
    }
}

/// Services without the web server, for the commands that change data.
func commandServices(_ common: CommonOptions) async throws -> AppServices {
    let configuration = try common.configuration()
    let logger = makeLogger(configuration.logLevel)
    let pool = PostgresPool(configuration: PostgresConfiguration(url: configuration.databaseURL), size: 2, logger: logger)
    return try await AppServices(configuration: configuration, database: pool, logger: logger)
}

struct SeedDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Load the demo community and accounts (refuses a database that holds real people).")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        // Last year's published ballots carry receipts keyed by the secret: loaded under another
        // key than the server's, no voter's receipt would be found.
        guard try common.configuration().secretKey.count >= AppConfiguration.minimumSecretLength else {
            throw ValidationError("seed-demo needs HROMADA_SECRET_KEY, the same as the server's (at least 32 characters)")
        }
        let services = try await commandServices(common)
        switch try await DemoData(services: services).load() {
        case .loaded: print("Demo data loaded: http://127.0.0.1:8080/\(DemoData.communitySlug)")
        case .alreadyPresent: print("Demo data is already loaded.")
        }
        await services.database.shutdown()
    }
}

struct CreateCommunity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-community", abstract: "Create a community.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Short name used in addresses: lower-case letters, digits, hyphens.") var slug: String
    @Option(help: "Name in Ukrainian.") var nameUk: String
    @Option(help: "Name in English.") var nameEn: String

    func run() async throws {
        let services = try await commandServices(common)
        do {
            _ = try await services.database.transaction { session in
                try await services.communities.create(slug: slug, nameUK: nameUk, nameEN: nameEn, on: session)
            }
        } catch let error as AppError {
            throw ValidationError("the slug must be 2–63 lower-case letters, digits or hyphens and not a reserved word (\(error.kind.rawValue))")
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ValidationError("a community with the slug \(slug) already exists")
        }
        print("Created community \(slug).")
        await services.database.shutdown()
    }
}

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user",
        abstract: "Create an account (the password is read from standard input) and grant it a role in a community.")
    @OptionGroup var common: CommonOptions
    @Option(help: "E-mail address.") var email: String
    @Option(help: "Full name.") var name: String
    @Option(help: "Community slug.") var community: String
    @Option(help: "Role: citizen, moderator, administrator (officials are granted on the admin page).") var role: String = "administrator"

    func validate() throws {
        guard let role = Role(rawValue: role), !role.needsDepartment else {
            throw ValidationError("--role must be citizen, moderator or administrator")
        }
    }

    func run() async throws {
        let password = readLine(strippingNewline: true) ?? ""
        let services = try await commandServices(common)
        let target: Community
        do {
            target = try await services.communities.require(slug: community)
        } catch {
            throw ValidationError("no community with the slug \(community)")
        }
        let person: Person
        do {
            person = try await services.accounts.signUp(
                email: email, fullName: name, password: password, language: .uk, citizenOf: nil, ip: nil)
        } catch let error as AppError {
            let problems = error.fieldErrors.map { field, key in "\(field): \(services.catalogue.text(key, .en))" }
            throw ValidationError(problems.sorted().joined(separator: "; "))
        }
        try await services.accounts.grant(Role(rawValue: role)!, departmentID: nil, to: person.id, in: target.id, by: nil, ip: nil)
        print("Created \(person.email) as \(role) of \(community).")
        await services.database.shutdown()
    }
}

struct ImportLayer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-layer",
        abstract: "Load a GeoJSON (or CSV with coordinates) file into a register; re-imports update objects by their source id.")
    @OptionGroup var common: CommonOptions
    @Argument(help: "The GeoJSON or CSV file.") var file: String
    @Option(help: "Community slug.") var community: String
    @Option(help: "Register code.") var register: String

    func run() async throws {
        let services = try await commandServices(common)
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        guard let target = try? await services.communities.require(slug: community) else { throw ValidationError("no community \(community)") }
        guard let layer = try? await services.geoportal.register(code: register, communityID: target.id) else {
            throw ValidationError("no register \(register) in \(community)")
        }
        let started = Date()
        let summary = try await LayerImport(store: services.geoportal, register: layer).run(data, fileName: file, actorID: nil) { done, total in
            let width = 30, filled = total == 0 ? width : done * width / total
            FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print(String(format: "%d inserted, %d updated, %d rejected in %.1f s", summary.inserted, summary.updated, summary.rejected.count,
                     Date().timeIntervalSince(started)))
        for rejection in summary.rejected.prefix(100) { print("  feature \(rejection.number): \(rejection.reason)") }
        if summary.rejected.count > 100 { print("  … and \(summary.rejected.count - 100) more") }
        await services.database.shutdown()
    }
}
