import ArgumentParser
import Foundation

/// The options every `bench-*` command takes: where the scratch database and the tools are, and
/// how hard and how long to load the server.
public struct LoadOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL of a scratch database with the demo data loaded.") public var databaseURL: String
    @Option(help: "The release build of hromada.") public var hromada: String = ".build/release/hromada"
    @Option(help: "Path of wrk.") public var wrk: String = "wrk"
    @Option(help: "Path of pgbench.") public var pgbench: String = "pgbench"
    @Option(help: "HTTP connections (and pgbench clients).") public var connections: Int = 64
    @Option(help: "Seconds per measurement.") public var seconds: Int = 5
    @Option(help: "Interleaved rounds; the median of each figure is reported.") public var rounds: Int = 3
    @Option(help: "Port for the server under test.") public var port: Int = 8091

    public init() {}

    public var load: HTTPLoad {
        HTTPLoad(databaseURL: databaseURL, hromada: hromada, wrk: wrk, pgbench: pgbench, connections: connections, seconds: seconds,
                 rounds: rounds, port: port)
    }

    /// A fresh folder for the bench's scripts and data: `chosen` when the caller named one,
    /// otherwise one per process under the temporary directory.
    public static func workDirectory(_ bench: String, chosen: String? = nil) throws -> URL {
        let work = chosen.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("hromada-bench-\(bench)-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return work
    }
}
