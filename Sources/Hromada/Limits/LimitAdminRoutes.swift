import Hummingbird

/// `/{community}/admin/limits`: the administrator sets the community's own limits on what
/// people create; an empty field takes the default.
struct LimitAdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin/limits") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await limitsPage(request, context, community: community)
        }
        router.post("/{community}/admin/limits") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                try await services.limits.save(try Self.overrides(form), communityID: community.id, by: viewer, ip: context.clientIP)
            } catch let error as AppError where error.kind == .validation {
                return try await limitsPage(request, context, community: community, form: form, error: error)
            }
            return services.redirect(to: "/\(community.slug)/admin/limits", flash: "limits.saved")
        }
    }

    static func maximumField(_ key: LimitKey) -> String { "maximum_\(key.action.rawValue)_\(key.scope.rawValue)" }
    static func windowField(_ key: LimitKey) -> String { "window_\(key.action.rawValue)_\(key.scope.rawValue)" }

    /// The overrides the form sets: every limit whose maximum is filled in, bytes entered in
    /// megabytes. A value that is not a valid allowance is a validation error on its field.
    static func overrides(_ form: FormData) throws -> [LimitKey: Allowance] {
        var overrides: [LimitKey: Allowance] = [:]
        var errors: [String: String] = [:]
        for key in CommunityLimits.keys {
            let entered = form[maximumField(key)].trimmingCharacters(in: .whitespaces)
            guard !entered.isEmpty else { continue }
            let unit = key.action.countsBytes ? Allowance.megabyte : 1
            guard let number = Int(entered), (1...Allowance.largestMaximum / unit).contains(number), let window = Int(form[windowField(key)]),
                  CommunityLimits.isValid(Allowance(number * unit, per: window))
            else {
                errors[maximumField(key)] = "limits.error.value"
                continue
            }
            overrides[key] = Allowance(number * unit, per: window)
        }
        guard errors.isEmpty else { throw AppError(.validation, detailKey: "limits.error.value", fieldErrors: errors) }
        return overrides
    }

    private func limitsPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let limits = try await services.limits.limits(of: community.id)
        func describe(_ allowance: Allowance, bytes: Bool) -> String {
            let maximum = bytes ? "\(allowance.maximum / Allowance.megabyte) \(t.text("limits.unit.megabytes", language))" : String(allowance.maximum)
            return "\(maximum) / \(t.text("limits.windows.\(allowance.windowSeconds)", language))"
        }
        let rows = CommunityLimits.keys.compactMap { key -> [String: Any]? in
            guard let standard = CommunityLimits.defaults[key] else { return nil }
            let bytes = key.action.countsBytes
            let own = limits.overrides[key]
            let chosenWindow = form.flatMap { Int($0[Self.windowField(key)]) } ?? own?.windowSeconds ?? standard.windowSeconds
            var row: [String: Any] = [
                "label": "\(t.text(key.action.titleKey, language)): \(t.text(key.scope.titleKey, language))",
                "default": describe(standard, bytes: bytes),
                "maximum_field": Self.maximumField(key), "window_field": Self.windowField(key),
                "maximum": form?[Self.maximumField(key)] ?? own.map { String(bytes ? $0.maximum / Allowance.megabyte : $0.maximum) } ?? "",
                "unit": bytes ? t.text("limits.unit.megabytes", language) : "",
                "windows": Allowance.windows.map { seconds -> [String: Any] in
                    ["value": seconds, "label": t.text("limits.windows.\(seconds)", language), "selected": seconds == chosenWindow]
                },
            ]
            if let message = error?.fieldErrors[Self.maximumField(key)] { row["field_error"] = t.text(message, language) }
            return row
        }
        var page = Page("admin-limits", titleKey: "limits.title", community: community, values: ["limits": rows])
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
