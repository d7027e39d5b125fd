import Hummingbird
import Logging

/// Assembles the router: middleware from the outside in, then each module's routes.
public func buildRouter(services: AppServices) -> Router<AppRequestContext> {
    // HTTP requires HEAD wherever GET works (monitors and harvesters use it): every GET route answers it.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestObservationMiddleware(registry: services.metrics, logger: services.logger))
    router.add(middleware: ClientAddressMiddleware(trustedProxies: services.configuration.trustedProxies))
    router.add(middleware: SecurityHeadersMiddleware(usesHTTPS: services.configuration.usesHTTPS))
    router.add(middleware: LanguageMiddleware())
    // Outside the error pages and the session: it sees every status and every cookie set.
    router.add(middleware: HTTPCacheMiddleware())
    router.add(middleware: ErrorMiddleware(renderer: services.renderer, catalogue: services.catalogue, logger: services.logger))
    router.add(middleware: FileMiddleware(
        services.configuration.leafletDirectory, urlBasePath: "/static/vendor/leaflet",
        cacheControl: .init([(MediaType(type: .any), [.maxAge(86400)])]), logger: services.logger))
    router.add(middleware: FileMiddleware(
        services.configuration.publicDirectory, urlBasePath: "/static", cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]),
        logger: services.logger))
    router.add(middleware: SessionMiddleware(services: services))

    OperationsRoutes(services: services).register(on: router)
    APIRoutes(services: services).register(on: router)
    AccountRoutes(services: services).register(on: router)
    AccountLinkRoutes(services: services).register(on: router)
    CommunityRoutes(services: services).register(on: router)
    AdminRoutes(services: services).register(on: router)
    LimitAdminRoutes(services: services).register(on: router)
    VerificationRoutes(services: services).register(on: router)
    OfficeRoutes(services: services).register(on: router)
    WorkflowAdminRoutes(services: services).register(on: router)
    WorkflowAPIRoutes(services: services).register(on: router)
    AppealRoutes(services: services).register(on: router)
    PetitionRoutes(services: services).register(on: router)
    ModerationRoutes(services: services).register(on: router)
    PetitionAPIRoutes(services: services).register(on: router)
    MediaRoutes(services: services).register(on: router)
    BudgetRoutes(services: services).register(on: router)
    BudgetAdminRoutes(services: services).register(on: router)
    BudgetDeskRoutes(services: services).register(on: router)
    BudgetAPIRoutes(services: services).register(on: router)
    ReportRoutes(services: services).register(on: router)
    ReportModerationRoutes(services: services).register(on: router)
    ReportAdminRoutes(services: services).register(on: router)
    ReportOpenData(services: services).register(on: router)
    Open311Routes(services: services).register(on: router)
    ConsultationRoutes(services: services).register(on: router)
    ConsultationAPIRoutes(services: services).register(on: router)
    OGCRoutes(services: services).register(on: router)
    GeoportalRoutes(services: services).register(on: router)
    RegisterAdminRoutes(services: services).register(on: router)
    return router
}

/// The web server on the configured host and port.
public func buildApplication(services: AppServices) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services: services),
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "Hromada"),
        logger: services.logger)
}
