import Foundation
import Postgres
import Hummingbird

/// `/{community}/office/verifications`: the identity verification desk where administrative
/// service centre staff record a person's documents, and read a person's verification history
/// (`?email=`) before replacing a standing verification with a stated reason.
struct VerificationRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/office/verifications") { request, context in
            let (community, _) = try await services.authorize(context, .verifyIdentities)
            let email = request.uri.queryParameters["email"].map(String.init) ?? ""
            return try await deskPage(request, context, community: community, historyOf: email)
        }
        router.post("/{community}/office/verifications") { request, context in
            let (community, viewer) = try await services.authorize(context, .verifyIdentities)
            let form = try await FormData.from(request)
            do {
                let claims = try Self.claims(from: form)
                guard let person = try await services.accounts.person(email: form["email"]) else {
                    throw AppError(.validation, fieldErrors: ["email": "admin.error.no_such_person"])
                }
                let outcome = try await services.verifications.record(
                    claims, source: "in_person", personID: person.id, communityID: community.id,
                    verifiedBy: viewer.person.id, replacing: form["reason"], ip: context.clientIP)
                return services.redirect(to: Self.historyPath(community, email: person.email), flash: Self.flash(outcome))
            } catch let error as AppError where error.kind == .validation || error.kind == .conflict {
                return try await deskPage(request, context, community: community, historyOf: form["email"], form: form, error: error)
            }
        }
    }

    /// Reads and checks the desk form; a bad field is a validation error naming it.
    static func claims(from form: FormData) throws -> IdentityClaims {
        var errors: [String: String] = [:]
        let birthDate = CalendarDay(iso: form["birth_date"])
        if birthDate == nil { errors["birth_date"] = "verify.error.birth_date" }
        let documentType = IdentityDocumentType(rawValue: form["document_type"])
        if documentType == nil || documentType == .electronic { errors["document_type"] = "verify.error.document_type" }
        let claims = IdentityClaims(
            fullName: form["full_name"], birthDate: birthDate ?? CalendarDay(year: 1900, month: 1, day: 1),
            isResident: form["resident"] == "yes", documentType: documentType ?? .idCard, documentNumber: form["document_number"])
        errors.merge(claims.errors(today: KyivTime.day(of: Date()))) { first, _ in first }
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        return claims
    }

    /// The notice shown after recording: what the desk's form did.
    static func flash(_ outcome: VerificationOutcome) -> String {
        switch outcome {
        case .recorded: "verify.done"
        case .replaced: "verify.replaced"
        case .unchanged: "verify.unchanged"
        }
    }

    /// The desk page showing the history of the person with this e-mail address.
    static func historyPath(_ community: Community, email: String) -> String {
        let query = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "@.-_"))) ?? ""
        return "/\(community.slug)/office/verifications?email=\(query)"
    }

    private func deskPage(
        _ request: Request, _ context: AppRequestContext, community: Community, historyOf email: String,
        form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let today = services.todayInKyiv
        let recent = try await services.verifications.recent(in: community.id).map { entry -> [String: Any] in
            [
                "name": entry.identity.fullName, "email": entry.person.email, "age": entry.identity.age(on: today),
                "resident": entry.identity.isResident, "verifier": entry.verifierName ?? "—",
                "at": KyivTime.day(of: entry.identity.verifiedAt).isoString,
                "history_href": Self.historyPath(community, email: entry.person.email),
            ]
        }
        let selectedType = form?["document_type"] ?? ""
        var values: [String: Any] = [
            "recent": recent,
            "document_types": IdentityDocumentType.allCases.filter { $0 != .electronic }.map {
                ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": $0.rawValue == selectedType] as [String: Any]
            },
            "email": form?["email"] ?? email, "full_name": form?["full_name"] ?? "", "birth_date": form?["birth_date"] ?? "",
            "resident": form.map { $0["resident"] == "yes" } ?? true, "reason": form?["reason"] ?? "",
            "reason_limit": VerificationStore.reasonLimit,
        ]
        if !email.isEmpty {
            if let person = try await services.accounts.person(email: email) {
                values["history"] = try await historyValues(person, community: community, language: language)
            } else if form == nil {
                // A look-up of an unknown address; the record form reports its own e-mail error.
                values["history_unknown"] = true
            }
        }
        var page = Page("verify", titleKey: "verify.title", community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    /// The person's verifications in the community for the desk page's history table.
    private func historyValues(_ person: Person, community: Community, language: Language) async throws -> [String: Any] {
        let t = services.catalogue
        let records = try await services.verifications.history(of: person.id, in: community.id)
        return [
            "name": person.fullName, "email": person.email, "empty": records.isEmpty,
            "records": records.map { record -> [String: Any] in
                var entry: [String: Any] = [
                    "name": record.identity.fullName, "birth_date": record.identity.birthDate.isoString,
                    "resident": record.identity.isResident, "document": t.text(record.documentType.titleKey, language),
                    "verifier": record.verifierName ?? "—", "at": KyivTime.day(of: record.identity.verifiedAt).isoString,
                ]
                if let replacedAt = record.replacedAt {
                    entry["replaced"] = [
                        "at": KyivTime.day(of: replacedAt).isoString, "by": record.replacedByName ?? "—", "reason": record.replaceReason ?? "",
                    ]
                }
                return entry
            },
        ]
    }
}
