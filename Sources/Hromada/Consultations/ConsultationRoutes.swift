import Foundation
import Hummingbird
import Postgres

/// `/{community}/consultations`: lists, opening one, the draft with comments by section, the
/// survey, new versions of the draft, moderation of comments, conclusions and the report.
struct ConsultationRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/consultations") { request, context in
            let community = try await services.community(context)
            let view = view(context, community)
            let list = request.uri.queryParameters["list"].flatMap { ConsultationPhase(rawValue: String($0)) } ?? .open
            let all = try await services.consultations.all(communityID: community.id)
            let lists = ConsultationPhase.allCases.map { phase -> [String: Any] in
                let count = all.filter { $0.phase(on: view.today) == phase }.count
                return ["href": "/\(community.slug)/consultations?list=\(phase.rawValue)", "label": services.catalogue.text(phase.titleKey, context.language),
                        "current": phase == list, "count": count]
            }
            let shown: [[String: Any]] = all.filter { $0.phase(on: view.today) == list }.map(view.values)
            let creates = context.viewer.map { canCreate($0, community) } ?? false
            let page = Page("consultations", titleKey: "consultation.list_title", community: community,
                            values: ["consultations": shown, "lists": lists, "can_create": creates])
            return services.renderer.response(page, request: request, context: context)
        }

        router.get("/{community}/consultations/new") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            guard canCreate(viewer, community) else { throw AppError.forbidden }
            return try await newPage(request, context, community: community)
        }

        router.post("/{community}/consultations") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            guard canCreate(viewer, community) else { throw AppError.forbidden }
            let form = try await FormData.from(request)
            do {
                let id = try await services.consultations.create(Self.draft(form), by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(id)", flash: "consultation.created")
            } catch let error as AppError where [.validation, .forbidden].contains(error.kind) {
                return try await newPage(request, context, community: community, form: form, error: error)
            }
        }

        router.get("/{community}/consultations/{id}") { request, context in
            let community = try await services.community(context)
            let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
            return try await consultationPage(request, context, community: community, consultation: consultation)
        }

        router.post("/{community}/consultations/{id}/comments") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.consultations.comment(
                    on: consultation.id, sectionID: Int(form["section"]), parentID: Int(form["parent"]), body: form.raw("body"), by: viewer,
                    community: community, verifications: services.verifications, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#discussion",
                                         flash: consultation.moderation == .pre ? "consultation.comment_pending" : "consultation.commented")
            } catch let error as AppError where [.validation, .forbidden, .conflict, .rateLimited].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, error: error)
            }
        }

        router.post("/{community}/consultations/{id}/comments/{comment}/support") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
            do {
                try await services.consultations.support(try Self.id(context, "comment"), consultationID: consultation.id, by: viewer,
                                                         communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#discussion", flash: "consultation.supported")
            } catch let error as AppError where [.conflict, .rateLimited].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, error: error)
            }
        }

        router.post("/{community}/consultations/{id}/comments/{comment}/moderate") { request, context in
            let (community, viewer) = try await services.authorize(context, .moderate)
            let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.consultations.moderate(
                    try Self.id(context, "comment"), consultationID: consultation.id, approve: form["decision"] == "publish", reason: form["reason"],
                    by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#discussion", flash: "report.moderated")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, error: error)
            }
        }

        router.post("/{community}/consultations/{id}/survey") { request, context in
            let community = try await services.community(context)
            let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                guard let viewer = context.viewer else { throw ParticipationRefusal.notSignedIn }
                if let refusal = try await services.consultations.refusal(consultation, viewer: viewer, verifications: services.verifications) {
                    throw refusal
                }
                let questions = try await services.consultations.questions(of: consultation.id)
                let answers = try SurveyAnswers.read(form, questions: questions).get()
                try await services.consultations.submit(answers, to: consultation.id, by: viewer, community: community,
                                                        verifications: services.verifications, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#survey", flash: "consultation.submitted")
            } catch let refusal as ParticipationRefusal {
                return try await consultationPage(request, context, community: community, consultation: consultation, form: form, error: refusal.appError)
            } catch let error as AppError where [.validation, .forbidden, .conflict, .rateLimited].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, form: form, error: error)
            }
        }

        router.get("/{community}/consultations/{id}/edit") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await managed(context, community: community, viewer: viewer)
            return try await editPage(request, context, community: community, consultation: consultation)
        }

        router.post("/{community}/consultations/{id}/versions") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await managed(context, community: community, viewer: viewer)
            let form = try await FormData.from(request)
            do {
                try await services.consultations.publishVersion(of: consultation.id, sectionsText: form.raw("sections"), note: form["note"], by: viewer,
                                                                community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)", flash: "consultation.new_version")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await editPage(request, context, community: community, consultation: consultation, form: form, error: error)
            }
        }

        router.post("/{community}/consultations/{id}/conclusions") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await managed(context, community: community, viewer: viewer)
            let form = try await FormData.from(request)
            do {
                try await services.consultations.addConclusion(to: consultation.id, proposal: form.raw("proposal"), decision: form["decision"],
                                                               reason: form.raw("reason"), by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#report", flash: "consultation.conclusion_added")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, form: form, error: error)
            }
        }

        router.post("/{community}/consultations/{id}/report") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let consultation = try await managed(context, community: community, viewer: viewer)
            let form = try await FormData.from(request)
            do {
                try await services.consultations.publishReport(of: consultation.id, summary: form.raw("summary"), by: viewer, community: community,
                                                               ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/consultations/\(consultation.id)#report", flash: "consultation.report_published")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await consultationPage(request, context, community: community, consultation: consultation, form: form, error: error)
            }
        }
    }

    static func id(_ context: AppRequestContext, _ name: String = "id") throws -> Int {
        guard let id = Int(try context.parameters.require(name)) else { throw AppError.notFound }
        return id
    }

    static func draft(_ form: FormData) -> ConsultationDraft {
        ConsultationDraft(
            title: form["title"], question: form.raw("question").trimmingCharacters(in: .whitespacesAndNewlines), departmentID: Int(form["department"]),
            affected: form["affected"], startsOn: CalendarDay(iso: form["starts_on"]), endsOn: CalendarDay(iso: form["ends_on"]),
            format: ConsultationFormat(rawValue: form["format"]), participation: Participation(rawValue: form["participation"]),
            minimumAge: Int(form["minimum_age"]), moderation: CommentModeration(rawValue: form["moderation"]),
            sectionsText: form.raw("sections"), surveyText: form.raw("survey"), documentsText: form.raw("documents"))
    }

    /// Moderators, administrators and officials of any department may open a consultation (for
    /// their own department; the store checks which).
    private func canCreate(_ viewer: Viewer, _ community: Community) -> Bool {
        viewer.can(.moderate, in: community.id) || viewer.can(.administer, in: community.id) || !viewer.departments(in: community.id).isEmpty
    }

    private func managed(_ context: AppRequestContext, community: Community, viewer: Viewer) async throws -> Consultation {
        let consultation = try await services.consultations.find(try Self.id(context), communityID: community.id)
        guard ConsultationStore.canManage(departmentID: consultation.departmentID, communityID: community.id, viewer: viewer) else {
            throw AppError.forbidden
        }
        return consultation
    }

    private func view(_ context: AppRequestContext, _ community: Community) -> ConsultationView {
        ConsultationView(catalogue: services.catalogue, language: context.language, slug: community.slug, today: services.todayInKyiv)
    }

    private func consultationPage(
        _ request: Request, _ context: AppRequestContext, community: Community, consultation: Consultation, form: FormData? = nil,
        error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let view = view(context, community)
        let store = services.consultations
        var values = view.values(consultation)
        let viewer = context.viewer
        let moderates = viewer?.can(.moderate, in: community.id) ?? false
        let manages = viewer.map { ConsultationStore.canManage(departmentID: consultation.departmentID, communityID: community.id, viewer: $0) } ?? false
        let versions = try await store.versions(of: consultation.id)
        let comments = try await store.comments(of: consultation.id, viewer: viewer, moderates: moderates)
        let href = "/\(community.slug)/consultations/\(consultation.id)"
        func thread(_ parent: Int?, section: Int?) -> [[String: Any]] {
            comments.filter { $0.parentID == parent && (parent != nil || $0.sectionID == section) }.map { comment in
                var entry = view.values(comment, canSupport: viewer != nil && viewer?.person.id != comment.authorID && !comment.supportedByViewer, canModerate: moderates, href: href)
                entry["replies"] = thread(comment.id, section: section)
                return entry
            }
        }
        let canTakePart = viewer != nil && consultation.phase(on: view.today) == .open
        values["documents"] = try await store.documents(of: consultation.id).map { ["title": $0.title, "url": $0.url] }
        if let current = versions.first {
            values["version"] = current.number
            values["sections"] = current.sections.map { section -> [String: Any] in
                let threads = thread(nil, section: section.id)
                return ["id": section.id, "position": section.position, "heading": section.heading, "body": section.body, "comments": threads,
                        "count": comments.filter { $0.sectionID == section.id && $0.status == "published" }.count,
                        "can_comment": canTakePart && consultation.format.hasDiscussion]
            }
        }
        values["general_comments"] = thread(nil, section: nil)
        values["older_versions"] = versions.dropFirst().map { version -> [String: Any] in
            ["number": version.number, "at": KyivTime.day(of: version.at).isoString, "note": version.note,
             "sections": version.sections.map { section -> [String: Any] in
                 ["heading": section.heading, "body": section.body, "comments": thread(nil, section: section.id)]
             }]
        }
        values["can_comment"] = canTakePart && consultation.format.hasDiscussion
        let questions = try await store.questions(of: consultation.id)
        if consultation.format.hasSurvey {
            if let viewer, try await store.hasSubmitted(consultation.id, personID: viewer.person.id) {
                values["submitted"] = true
            } else if canTakePart {
                values["survey"] = questions.map { question -> [String: Any] in
                    var entry: [String: Any] = [
                        "id": question.id, "text": question.text, "single": question.kind == .single, "multiple": question.kind == .multiple,
                        "scale": question.kind == .scale, "text_answer": question.kind == .text, "max_choices": question.maxChoices ?? 0,
                        "options": question.options.enumerated().map { ["index": $0, "label": $1, "question": question.id] as [String: Any] },
                        "scale_values": (question.scale ?? 0...0).map { ["value": $0, "question": question.id] },
                    ]
                    if let key = error?.fieldErrors["q\(question.id)"] { entry["error"] = t.text(key, language) }
                    return entry
                }
            }
        }
        if consultation.phase(on: view.today) >= .closed {
            let figures = try await store.figures(of: consultation.id)
            values["figures"] = [
                "submissions": figures.submissions, "residents": figures.residents, "comments": figures.comments, "commenters": figures.commenters,
                "bands": AgeBand.all.compactMap { band in figures.byAgeBand[band].map { ["band": band, "count": $0] } },
                "by_section": (versions.first?.sections ?? []).map { ["heading": $0.heading, "count": figures.commentsBySection[$0.id] ?? 0] },
                "general": figures.commentsBySection[nil] ?? 0,
            ] as [String: Any]
            values["results"] = try await store.results(of: consultation.id).map(view.values)
            values["conclusions"] = try await store.conclusions(of: consultation.id).map {
                ["proposal": $0.proposal, "decision": t.text("consultation.decision.\($0.decision)", language), "reason": $0.reason]
            }
            values["results_csv"] = "/\(community.slug)/open-data/consultations/\(consultation.id)/results.csv"
            values["results_json"] = "/\(community.slug)/open-data/consultations/\(consultation.id)/results.json"
        }
        if let summary = consultation.reportSummary { values["summary"] = summary }
        if let document = try await services.workflow.find(sourceType: ConsultationStore.sourceType, sourceID: String(consultation.id),
                                                           communityID: community.id) {
            values["document"] = services.documentView(language).values(document, communitySlug: community.slug)
        }
        values["manages"] = manages
        values["can_report"] = manages && consultation.phase(on: view.today) == .closed
        values["can_edit"] = manages && consultation.phase(on: view.today) <= .open
        values["decisions"] = ["accepted", "partly_accepted", "rejected"].map { ["value": $0, "label": t.text("consultation.decision.\($0)", language)] }
        values["signed_in"] = viewer != nil
        values["form_summary"] = form?.raw("summary") ?? ""
        var page = Page("consultation", titleKey: "consultation.title", titleText: consultation.title, community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func newPage(_ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil,
                         error: AppError? = nil) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let today = services.todayInKyiv
        func choices<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ field: String, _ fallback: T, key: (T) -> String) -> [[String: Any]]
            where T.RawValue == String {
            type.allCases.map { ["value": $0.rawValue, "label": t.text(key($0), language), "selected": (form?[field] ?? fallback.rawValue) == $0.rawValue] }
        }
        var page = Page("consultation-new", titleKey: "consultation.new_title", community: community, values: [
            "departments": try await services.communities.departments(of: community.id).map {
                ["id": $0.id, "name": $0.name(language), "selected": form?["department"] == String($0.id)] as [String: Any]
            },
            "formats": choices(ConsultationFormat.self, "format", .both) { $0.titleKey },
            "participations": choices(Participation.self, "participation", .verified) { $0.titleKey },
            "moderations": choices(CommentModeration.self, "moderation", .post) { $0.titleKey },
            "title": form?["title"] ?? "", "question": form?.raw("question") ?? "", "affected": form?["affected"] ?? "",
            "starts_on": form?["starts_on"] ?? today.isoString, "ends_on": form?["ends_on"] ?? today.adding(days: 30).isoString,
            "minimum_age": form?["minimum_age"] ?? String(community.settings.consultations.participantMinimumAge),
            "sections": form?.raw("sections") ?? "", "survey": form?.raw("survey") ?? "", "documents": form?.raw("documents") ?? "",
        ])
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func editPage(_ request: Request, _ context: AppRequestContext, community: Community, consultation: Consultation,
                          form: FormData? = nil, error: AppError? = nil) async throws -> Response {
        let current = try await services.consultations.versions(of: consultation.id).first
        var page = Page("consultation-edit", titleKey: "consultation.edit_title", titleText: consultation.title, community: community, values: [
            "href": "/\(community.slug)/consultations/\(consultation.id)", "version": current?.number ?? 0,
            "sections": form?.raw("sections") ?? DraftSection.text(of: current?.sections ?? []), "note": form?["note"] ?? "",
        ])
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }
}
