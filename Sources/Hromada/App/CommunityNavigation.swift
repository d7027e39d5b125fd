/// The community's sections in the page header, the one the request is in marked for
/// `aria-current` ("you are here") so that a phone's one-line menu and a screen reader both say it.
struct CommunityNavigation {
    struct Section {
        var href: String
        var title: String
        var current: Bool
    }

    /// The path after `/{community}` each section starts with, its title key, and who sees it.
    private enum Entry: CaseIterable {
        case home, petitions, consultations, reports, budget, map, appeals, moderation, office, administration

        var path: String {
            switch self {
            case .home: ""
            case .petitions: "/petitions"
            case .consultations: "/consultations"
            case .reports: "/reports"
            case .budget: "/budget"
            case .map: "/map"
            case .appeals: "/appeals"
            case .moderation: "/moderation"
            case .office: "/office"
            case .administration: "/admin"
            }
        }

        var titleKey: String {
            switch self {
            case .home: "layout.home"
            case .petitions: "module.petitions.title"
            case .consultations: "module.consultations.title"
            case .reports: "module.reports.title"
            case .budget: "module.budget.title"
            case .map: "module.map.title"
            case .appeals: "module.appeals.title"
            case .moderation: "moderation.title"
            case .office: "office.title"
            case .administration: "admin.title"
            }
        }

        var permission: Permission? {
            switch self {
            case .moderation: .moderate
            case .office: .useOffice
            case .administration: .administer
            default: nil
            }
        }
    }

    /// The sections `viewer` may open in `community`, titled in `language`, with the one holding
    /// `requestPath` current (the home section only on the community's own page).
    static func sections(
        of community: Community, viewer: Viewer?, requestPath: String, language: Language, catalogue: TranslationCatalogue
    ) -> [Section] {
        let root = "/\(community.slug)"
        let rest = requestPath.hasPrefix(root) ? String(requestPath.dropFirst(root.count)) : nil
        return Entry.allCases.compactMap { entry in
            if let permission = entry.permission, viewer?.can(permission, in: community.id) != true { return nil }
            let current: Bool
            if let rest {
                current = entry == .home ? (rest.isEmpty || rest == "/") : (rest == entry.path || rest.hasPrefix(entry.path + "/"))
            } else {
                current = false
            }
            return Section(href: root + entry.path, title: catalogue.text(entry.titleKey, language), current: current)
        }
    }
}
