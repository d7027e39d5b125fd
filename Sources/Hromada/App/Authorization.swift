import Hummingbird

extension AppServices {
    /// The community named by the `{community}` path segment.
    func community(_ context: AppRequestContext) async throws -> Community {
        try await communities.require(slug: context.parameters.require("community"))
    }

    /// The path's community and the signed-in viewer, who must hold `permission` there:
    /// anonymous callers get 401, others without the permission 403.
    func authorize(_ context: AppRequestContext, _ permission: Permission) async throws -> (Community, Viewer) {
        let viewer = try context.requireViewer()
        let community = try await community(context)
        try viewer.require(permission, in: community.id)
        return (community, viewer)
    }
}

extension Page {
    /// Shows a form again with `error`: its status, the summary and the per-field messages.
    mutating func show(_ error: AppError?, catalogue: TranslationCatalogue, language: Language) {
        guard let error else { return }
        status = error.kind.status
        retryAfterSeconds = error.retryAfterSeconds
        values.merge(FormErrors.values(error, catalogue: catalogue, language: language)) { $1 }
    }
}
