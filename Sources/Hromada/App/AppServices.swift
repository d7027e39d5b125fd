import Foundation
import Logging
import NIOPosix
import Postgres
import Prometheus

/// Everything handlers need, built once per process.
public struct AppServices: Sendable {
    public let configuration: AppConfiguration
    public let database: PostgresPool
    /// Where public lists, maps and open data read: a hot standby when `DATABASE_READ_URL` is set
    /// (a moment behind the primary), otherwise the primary itself. Nothing that a person's next
    /// step depends on reads here.
    public let replica: PostgresPool
    /// The few connections open-data downloads stream from (``OpenDataExport``), over the same
    /// server as `replica`, so a crowd of downloads never takes the connections of signing and voting.
    public let exports: PostgresPool
    public let catalogue: TranslationCatalogue
    public let renderer: PageRenderer
    public let metrics: PrometheusCollectorRegistry
    public let logger: Logger
    public let csrf: CSRFProtection

    public let communities: CommunityStore
    public let accounts: AccountStore
    public let sessions: SessionStore
    /// Single-use links by e-mail: confirming an address, resetting a password.
    public let accountTokens: AccountTokenStore
    public let verifications: VerificationStore
    public let rateLimiter: RateLimiter
    /// Each community's limits on what people create, and the charging against them.
    public let limits: LimitStore
    /// Browsers and API clients that have signed in to an account before (the sign-in brake's exception).
    public let knownDevices: KnownDevices
    public let jobs: JobQueue
    public let outbox: Outbox
    public let workflow: WorkflowStore
    public let appeals: AppealStore
    public let petitions: PetitionStore
    public let budget: BudgetStore
    public let media: MediaStore
    public let reports: ReportStore
    public let consultations: ConsultationStore
    public let geoportal: GeoportalStore
    /// Delivers the outbox when SMTP is configured.
    public let mailTransport: (any MailTransport)?

    public init(
        configuration: AppConfiguration, database: PostgresPool, replica: PostgresPool? = nil, logger: Logger,
        mailTransport: (any MailTransport)? = nil
    ) async throws {
        self.configuration = configuration
        self.database = database
        self.replica = replica ?? database
        var exportConfiguration = self.replica.configuration
        exportConfiguration.applicationName = "hromada-export"
        // A queued download waits for the ones before it to finish, however long they take; the
        // queue itself is bounded (see OpenDataExport), so waiting holds little.
        self.exports = PostgresPool(
            configuration: exportConfiguration, size: configuration.exportConnections, waitTimeout: .seconds(900), logger: logger)
        self.logger = logger
        self.catalogue = try TranslationCatalogue.load(from: AppResources.catalogueURL)
        self.renderer = try await PageRenderer(catalogue: catalogue)
        self.metrics = PrometheusCollectorRegistry()
        self.csrf = CSRFProtection(secretKey: configuration.secretKey)
        let hashingThreads = NIOThreadPool(numberOfThreads: 2)
        hashingThreads.start()
        self.communities = CommunityStore(database: database)
        self.sessions = SessionStore(database: database)
        self.accounts = AccountStore(
            database: database, hasher: PasswordHasher(parameters: .init(logN: configuration.passwordCost)),
            hashingThreads: hashingThreads, sessions: sessions)
        self.verifications = VerificationStore(
            database: database, hasher: IdentityDocumentHasher(secretKey: configuration.secretKey), sessions: sessions)
        self.rateLimiter = RateLimiter(database: database, exemptAddresses: configuration.rateLimitExemptIPs)
        self.limits = LimitStore(database: database, rateLimiter: rateLimiter)
        self.knownDevices = KnownDevices(secretKey: configuration.secretKey)
        self.jobs = JobQueue(database: database)
        self.mailTransport = mailTransport
        self.outbox = Outbox(catalogue: catalogue, jobs: jobs, delivers: mailTransport != nil, publicURL: configuration.publicURL)
        self.accountTokens = AccountTokenStore(database: database, outbox: outbox, sessions: sessions, rateLimiter: rateLimiter)
        self.media = MediaStore(database: database, limits: limits)
        self.workflow = WorkflowStore(
            database: database, outbox: outbox,
            sources: [AppealSource(), PetitionSource(outbox: outbox), BudgetSource(), ReportSource(outbox: outbox), ConsultationSource()])
        self.reports = ReportStore(database: database, replica: self.replica, workflow: workflow, outbox: outbox, media: media, limits: limits)
        self.consultations = ConsultationStore(database: database, workflow: workflow, outbox: outbox, limits: limits)
        self.geoportal = GeoportalStore(database: database, replica: self.replica, workflow: workflow, reports: reports)
        self.appeals = AppealStore(database: database, workflow: workflow, limits: limits)
        self.petitions = PetitionStore(
            database: database, replica: self.replica, workflow: workflow, outbox: outbox, rateLimitExemptIPs: configuration.rateLimitExemptIPs,
            limits: limits, logger: logger)
        self.budget = BudgetStore(database: database, workflow: workflow, outbox: outbox, receipts: BallotReceipts(secretKey: configuration.secretKey),
                                  media: media)
    }

    /// The background job handlers of this process.
    public var jobHandlers: [any JobHandler] {
        var handlers: [any JobHandler] = [
            OverdueSweep(workflow: workflow), PetitionSweep(petitions: petitions), BudgetPhaseSweep(budget: budget, communities: communities),
            ConsultationSweep(), HousekeepingSweep(),
        ]
        if let mailTransport {
            handlers.append(OutboxDelivery(transport: mailTransport, database: database, messageDomain: configuration.mailDomain))
        }
        return handlers
    }

    /// Jobs every process keeps scheduled, with their intervals in seconds.
    public static let recurringJobs: [(kind: String, everySeconds: Int)] = [
        (OverdueSweep.kind, 600), (PetitionSweep.kind, 300), (BudgetPhaseSweep.kind, 300), (ConsultationSweep.kind, 300),
        (HousekeepingSweep.kind, 600),
    ]
}

/// Files bundled with the library: templates and the translation catalogue.
public enum AppResources {
    public static var directory: URL { Bundle.module.bundleURL.appendingPathComponent("Resources") }
    public static var templatesDirectory: URL { directory.appendingPathComponent("templates") }
    public static var catalogueURL: URL { directory.appendingPathComponent("catalogue.json") }
}
