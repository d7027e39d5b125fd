import Foundation
import Hummingbird
import Postgres

/// The consultations' JSON API and their open data: reading consultations and results, and
/// commenting and answering the survey with a bearer token.
struct ConsultationAPIRoutes {
    let services: AppServices

    struct ConsultationJSON: Encodable {
        struct Section: Encodable {
            var id: Int
            var heading: String
            var text: String
        }
        struct Question: Encodable {
            var id: Int
            var kind: String
            var text: String
            var options: [String]
            var maxChoices: Int?
            var scaleMin: Int?
            var scaleMax: Int?
        }
        var id: Int
        var title: String
        var question: String
        var phase: String
        var startsOn: CalendarDay
        var endsOn: CalendarDay
        var format: String
        var participation: String
        var minimumAge: Int
        var version: Int?
        var sections: [Section]?
        var survey: [Question]?
        var url: String
    }

    struct ResultJSON: Encodable {
        var questionId: Int
        var question: String
        var kind: String
        var answered: Int
        var labels: [String]
        var counts: [Int]
        var average: Double?
        var texts: [String]
    }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("/api/v1/{community}/consultations")
        api.get { _, context in
            let community = try await services.community(context)
            return try JSONResponse.make(try await services.consultations.all(communityID: community.id).map { json($0, community: community) })
        }
        api.get("/{id}") { _, context in
            let community = try await services.community(context)
            let consultation = try await services.consultations.find(try ConsultationRoutes.id(context), communityID: community.id)
            let current = try await services.consultations.versions(of: consultation.id).first
            var body = json(consultation, community: community)
            body.version = current?.number
            body.sections = current?.sections.map { .init(id: $0.id, heading: $0.heading, text: $0.body) }
            body.survey = try await services.consultations.questions(of: consultation.id).map {
                .init(id: $0.id, kind: $0.kind.rawValue, text: $0.text, options: $0.options, maxChoices: $0.maxChoices,
                      scaleMin: $0.scale?.lowerBound, scaleMax: $0.scale?.upperBound)
            }
            return try JSONResponse.make(body)
        }
        api.get("/{id}/results") { _, context in
            let (_, consultation) = try await closed(context)
            return try JSONResponse.make(try await results(consultation))
        }
        api.post("/{id}/comments") { request, context in
            let (community, consultation, viewer) = try await participant(context)
            struct Comment: Decodable {
                var text: String
                var sectionId: Int?
                var parentId: Int?
            }
            let body = try await JSONResponse.decode(Comment.self, from: request)
            try await services.consultations.comment(on: consultation.id, sectionID: body.sectionId, parentID: body.parentId, body: body.text,
                                                     by: viewer, community: community, verifications: services.verifications, ip: context.clientIP)
            return try JSONResponse.make(["status": consultation.moderation == .pre ? "pending" : "published"], status: .created)
        }
        api.post("/{id}/answers") { request, context in
            let (community, consultation, viewer) = try await participant(context)
            // The same fields as the survey form: {"q12": "1", "q13_0": "on", "q14": "4", "q15": "text"}.
            let fields = try await JSONResponse.decode([String: String].self, from: request)
            let questions = try await services.consultations.questions(of: consultation.id)
            do {
                let answers = try SurveyAnswers.read(FormData(values: fields), questions: questions).get()
                try await services.consultations.submit(answers, to: consultation.id, by: viewer, community: community,
                                                        verifications: services.verifications, ip: context.clientIP)
            } catch let refusal as ParticipationRefusal {
                throw refusal.appError
            }
            return try JSONResponse.make(["status": "recorded"], status: .created)
        }

        let openData = OpenDataExport(services: services)
        router.get("/{community}/open-data/consultations/{id}/results.json") { request, context in
            let (_, consultation) = try await closed(context)
            return try openData.inMemory(request, json: try await results(consultation))
        }
        router.get("/{community}/open-data/consultations/{id}/results.csv") { request, context in
            let (community, consultation) = try await closed(context)
            var csv = CSV(header: ["question_id", "question", "kind", "answer", "count"])
            for result in try await results(consultation) {
                for (label, count) in zip(result.labels, result.counts) {
                    csv.append([String(result.questionId), result.question, result.kind, label, String(count)])
                }
                for text in result.texts { csv.append([String(result.questionId), result.question, result.kind, text, "1"]) }
            }
            return openData.inMemory(request, csv: csv, filename: "\(community.slug)-consultation-\(consultation.id)-results.csv")
        }
    }

    /// The consultation of the request and the signed-in person taking part in it. Someone who may
    /// not take part is refused here, before their comment or answers are read.
    private func participant(_ context: AppRequestContext) async throws -> (Community, Consultation, Viewer) {
        let community = try await services.community(context)
        let consultation = try await services.consultations.find(try ConsultationRoutes.id(context), communityID: community.id)
        guard let viewer = context.viewer else { throw ParticipationRefusal.notSignedIn.appError }
        if let refusal = try await services.consultations.refusal(consultation, viewer: viewer, verifications: services.verifications) {
            throw refusal.appError
        }
        return (community, consultation, viewer)
    }

    /// Results are public once the period has ended.
    private func closed(_ context: AppRequestContext) async throws -> (Community, Consultation) {
        let community = try await services.community(context)
        let consultation = try await services.consultations.find(try ConsultationRoutes.id(context), communityID: community.id)
        guard consultation.phase(on: services.todayInKyiv) >= .closed else { throw AppError(.conflict, detailKey: "consultation.error.not_closed") }
        return (community, consultation)
    }

    private func results(_ consultation: Consultation) async throws -> [ResultJSON] {
        try await services.consultations.results(of: consultation.id).map { result in
            let labels = result.question.kind == .scale ? (result.question.scale ?? 0...0).map(String.init) : result.question.options
            return ResultJSON(questionId: result.question.id, question: result.question.text, kind: result.question.kind.rawValue,
                              answered: result.answered, labels: labels, counts: result.counts, average: result.average, texts: result.texts)
        }
    }

    private func json(_ consultation: Consultation, community: Community) -> ConsultationJSON {
        ConsultationJSON(
            id: consultation.id, title: consultation.title, question: consultation.question,
            phase: consultation.phase(on: services.todayInKyiv).rawValue, startsOn: consultation.startsOn, endsOn: consultation.endsOn,
            format: consultation.format.rawValue, participation: consultation.participation.rawValue, minimumAge: consultation.minimumAge,
            url: services.configuration.publicURL + "/\(community.slug)/consultations/\(consultation.id)")
    }
}
