import Foundation
import Postgres

/// Problem reports as a source of workflow documents: taking the document up puts the report in
/// progress, and the official answer resolves it or closes it as not resolved, on its timeline,
/// with the reporter and supporters told.
public struct ReportSource: DocumentSource {
    public var sourceType: String { ReportStore.sourceType }
    public var answerOutcomes: [String] { ["resolved", "not_resolved"] }
    let outbox: Outbox

    public func documentTakenUp(_ document: Document, on session: PostgresSession) async throws {
        guard let report = try await current(document, on: session), report.status == .accepted else { return }
        try await ReportStore.move(report, .startWork, actorID: nil, text: "", communitySlug: try await slug(document, on: session),
                                   outbox: outbox, on: session)
    }

    public func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {
        guard let report = try await current(document, on: session) else { return }
        try await ReportStore.move(report, answer.outcome == "resolved" ? .resolve : .fail, actorID: nil, text: answer.text,
                                   communitySlug: try await slug(document, on: session), outbox: outbox, on: session)
    }

    public func path(of document: Document, communitySlug: String) -> String {
        "/\(communitySlug)/reports/\(ReportStore.reportID(fromSourceID: document.sourceID) ?? 0)"
    }

    /// The report, locked, if this document belongs to its current round (an answer to a document
    /// from before a reopening does not move it).
    private func current(_ document: Document, on session: PostgresSession) async throws -> Report? {
        guard let id = ReportStore.reportID(fromSourceID: document.sourceID) else { return nil }
        let report = try await ReportStore.lock(id, communityID: document.communityID, on: session)
        return ReportStore.sourceID(reportID: id, reopened: report.reopened) == document.sourceID ? report : nil
    }

    private func slug(_ document: Document, on session: PostgresSession) async throws -> String {
        try await CommunityStore.slugs(on: session)[document.communityID] ?? ""
    }
}
