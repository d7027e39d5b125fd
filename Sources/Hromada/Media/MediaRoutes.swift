import Hummingbird

/// `/media/{id}`: uploaded photos. They never change once stored, so browsers may keep them.
struct MediaRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/media/{id}") { _, context in
            guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
            let image = try await services.media.image(id)
            return Response(
                status: .ok,
                headers: [.contentType: image.contentType, .cacheControl: "public, max-age=31536000, immutable",
                          .contentDisposition: "inline"],
                body: .init(byteBuffer: ByteBuffer(bytes: image.bytes)))
        }
    }
}
