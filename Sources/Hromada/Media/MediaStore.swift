import Foundation
import Postgres

/// An uploaded image that passed ``ImageSanitizer``.
public typealias CleanedImage = (format: ImageFormat, bytes: [UInt8])

/// A stored photo, without its bytes.
public struct StoredImage: Sendable, Equatable {
    public var id: Int
    public var contentType: String
    public var url: String { "/media/\(id)" }
}

/// Photos in PostgreSQL. Uploads are checked and cleaned by ``ImageSanitizer`` before they are
/// stored; each belongs to one object of one module.
public struct MediaStore: Sendable {
    let database: PostgresPool
    /// Stored bytes count against the uploader's daily quota (``LimitedAction/uploadBytes``).
    let limits: LimitStore

    public static let maximumBytes = 10 * 1024 * 1024

    /// The form's `photos`, checked and cleaned; a problem is added to `errors` under `photos`, so
    /// a form reports it together with its other fields.
    public static func photos(in upload: UploadForm, limit: Int, errors: inout [String: String]) -> [CleanedImage] {
        do {
            return try images(from: upload.files, field: "photos", limit: limit)
        } catch let error as AppError {
            errors.merge(error.fieldErrors) { first, _ in first }
        } catch {
            errors["photos"] = "media.error.not_an_image"
        }
        return []
    }

    /// Checks uploaded files: each a JPEG, PNG or WebP of at most 10 MB, at most `limit` of them.
    /// Returns the cleaned images, or a validation error naming `field`.
    public static func images(from files: [UploadedFile], field: String, limit: Int) throws -> [CleanedImage] {
        let chosen = files.filter { $0.field == field }
        guard chosen.count <= limit else { throw AppError(.validation, fieldErrors: [field: "media.error.too_many"]) }
        return try chosen.map { file in
            guard file.bytes.count <= maximumBytes else { throw AppError(.validation, fieldErrors: [field: "media.error.too_large"]) }
            do {
                return try ImageSanitizer.sanitized(file.bytes)
            } catch ImageSanitizer.Failure.tooManyPixels {
                throw AppError(.validation, fieldErrors: [field: "media.error.too_many_pixels"])
            } catch {
                throw AppError(.validation, fieldErrors: [field: "media.error.not_an_image"])
            }
        }
    }

    /// Stores cleaned images for an object, in the caller's transaction, after charging their
    /// bytes to the uploader's quota in the community (a rate-limited error when it is used up).
    public func save(_ images: [CleanedImage], ownerType: String, ownerID: Int, communityID: Int,
                     by uploader: Participant, on session: PostgresSession) async throws {
        try await limits.charge(.uploadBytes, amount: images.reduce(0) { $0 + $1.bytes.count }, to: uploader, communityID: communityID, on: session)
        for image in images {
            try await session.query(
                """
                INSERT INTO media (community_id, owner_type, owner_id, content_type, bytes, uploaded_by)
                VALUES ($1, $2, $3, $4, $5, $6)
                """, communityID, ownerType, ownerID, image.format.contentType, Data(image.bytes), uploader.personID)
        }
    }

    /// The photos of objects, oldest first, by object.
    public func images(ownerType: String, ownerIDs: [Int]) async throws -> [Int: [StoredImage]] {
        var images: [Int: [StoredImage]] = [:]
        for row in try await database.query(
            "SELECT id, owner_id, content_type FROM media WHERE owner_type = $1 AND owner_id = ANY($2) ORDER BY id", ownerType, ownerIDs)
        {
            images[try row.decode("owner_id"), default: []].append(StoredImage(id: try row.decode("id"), contentType: try row.decode("content_type")))
        }
        return images
    }

    public func count(ownerType: String, ownerID: Int, on session: PostgresSession) async throws -> Int {
        try await session.query("SELECT count(*)::int AS n FROM media WHERE owner_type = $1 AND owner_id = $2", ownerType, ownerID)[0].decode("n")
    }

    /// A photo's bytes and type.
    public func image(_ id: Int) async throws -> (contentType: String, bytes: Data) {
        guard let row = try await database.query("SELECT content_type, bytes FROM media WHERE id = $1", id).first else {
            throw AppError.notFound
        }
        return (try row.decode("content_type"), try row.decode("bytes"))
    }
}
