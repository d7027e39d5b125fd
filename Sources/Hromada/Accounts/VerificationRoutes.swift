import Foundation
import Postgres
import Hummingbird

/// `/{community}/office/verifications`: the identity verification desk where administrative
/// service centre staff record a person's documents.
struct VerificationRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/office/verifications") { request, context in
            let (community, _) = try await services.authorize(context, .verifyIdentities)
            return try await deskPage(request, context, community: community)
        }
        router.post("/{community}/office/verifications") { request, context in
            let (community, viewer) = try await services.authorize(context, .verifyIdentities)
            let form = try await FormData.from(request)
            do {
                let claims = try Self.claims(from: form)
                guard let person = try await services.accounts.person(email: form["email"]) else {
                    throw AppError(.validation, fieldErrors: ["email": "admin.error.no_such_person"])
                }
                try await services.verifications.record(
                    claims, source: "in_person", personID: person.id, communityID: community.id,
                    verifiedBy: viewer.person.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/office/verifications", flash: "verify.done")
            } catch let error as AppError where error.kind == .validation || error.kind == .conflict {
                return try await deskPage(request, context, community: community, form: form, error: error)
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


    private func deskPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let today = services.todayInKyiv
        let recent = try await services.verifications.recent(in: community.id).map { entry -> [String: Any] in
            [
                "name": entry.identity.fullName, "email": entry.person.email, "age": entry.identity.age(on: today),
                "resident": entry.identity.isResident, "verifier": entry.verifierName ?? "—",
                "at": KyivTime.day(of: entry.identity.verifiedAt).isoString,
            ]
        }
        let selectedType = form?["document_type"] ?? ""
        var page = Page(
            "verify", titleKey: "verify.title", community: community,
            values: [
                "recent": recent,
                "document_types": IdentityDocumentType.allCases.filter { $0 != .electronic }.map {
                    ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": $0.rawValue == selectedType] as [String: Any]
                },
                "email": form?["email"] ?? "", "full_name": form?["full_name"] ?? "", "birth_date": form?["birth_date"] ?? "",
                "resident": form.map { $0["resident"] == "yes" } ?? true,
            ])
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
