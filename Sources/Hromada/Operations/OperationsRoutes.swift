import Hummingbird
import NIOCore
import Postgres

/// `/healthz` (the process answers), `/readyz` (the database answers) and `/metrics` (Prometheus).
struct OperationsRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            do {
                try await services.database.query("SELECT 1")
                return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "text/plain", .retryAfter: "5"],
                    body: .init(byteBuffer: ByteBuffer(string: "database unavailable\n")))
            }
        }
        router.get("/metrics") { request, context in
            guard mayReadMetrics(request, context) else {
                return Response(status: .forbidden, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "forbidden\n")))
            }
            let statistics = services.database.statistics
            for (name, value) in [("open", statistics.open), ("in_use", statistics.inUse), ("waiting", statistics.waiting)] {
                services.metrics.makeGauge(
                    descriptor: .init(namespace: "hromada", subsystem: "db_pool", metricName: name, unitName: "connections",
                                      helpText: "Database pool connections: \(name)")
                ).set(Double(value))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.emitToBuffer())))
        }
    }

    /// The metrics name routes, pool sizes and error rates: only configured addresses, or a
    /// client presenting the configured token, read them.
    func mayReadMetrics(_ request: Request, _ context: AppRequestContext) -> Bool {
        if let address = context.clientIP, services.configuration.metricsAllowedIPs.contains(address) { return true }
        guard let token = services.configuration.metricsToken, let authorization = request.headers[.authorization],
              authorization.lowercased().hasPrefix("bearer ") else { return false }
        return Crypto.constantTimeEquals(Array(authorization.dropFirst(7).utf8), Array(token.utf8))
    }
}
