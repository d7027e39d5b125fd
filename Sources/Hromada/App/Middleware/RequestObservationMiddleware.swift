import Hummingbird
import Logging
import NIOConcurrencyHelpers
import Prometheus

/// One log line and the Prometheus metrics per request: route, method, status and duration.
/// Logs the route pattern (`/{community}/admin`), never query strings, headers or bodies, so
/// tokens and personal data stay out of the log.
struct RequestObservationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// The registry's handles per label set, looked up once instead of on every request.
    private let handles = NIOLockedValueBox([String: (requests: Counter, duration: DurationHistogram)]())

    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    init(registry: PrometheusCollectorRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = HTTPResponse.Status.internalServerError
        defer {
            let elapsed = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            let method = request.method.rawValue
            let metrics = metrics(route: route, method: method, status: String(status.code))
            metrics.requests.increment()
            metrics.duration.record(elapsed)
            logger.info(
                "request",
                metadata: [
                    "method": .string(method), "route": .string(route), "status": .stringConvertible(status.code),
                    "ms": .string(String(format: "%.1f", Double(elapsed.components.seconds) * 1000
                        + Double(elapsed.components.attoseconds) / 1e15)),
                ])
        }
        let response = try await next(request, context)
        status = response.status
        return response
    }

    private func metrics(route: String, method: String, status: String) -> (requests: Counter, duration: DurationHistogram) {
        let key = "\(method) \(route) \(status)"
        if let found = handles.withLockedValue({ $0[key] }) { return found }
        let made = (
            requests: registry.makeCounter(
                descriptor: .init(namespace: "hromada", subsystem: "http", metricName: "requests", unitName: "total",
                                  helpText: "HTTP requests by route, method and status"),
                labels: [("route", route), ("method", method), ("status", status)]),
            duration: registry.makeDurationHistogram(
                descriptor: .init(namespace: "hromada", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                                  helpText: "HTTP request latency"),
                labels: [("route", route), ("method", method)], buckets: Self.durationBuckets)
        )
        handles.withLockedValue { $0[key] = made }
        return made
    }
}
