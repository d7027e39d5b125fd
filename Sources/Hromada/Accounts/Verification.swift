import Foundation
import Postgres

/// The identity documents staff accept in person.
public enum IdentityDocumentType: String, Sendable, CaseIterable {
    case passportBooklet = "passport_booklet"
    case idCard = "id_card"
    case foreignPassport = "foreign_passport"
    case residencePermit = "residence_permit"
    /// A document confirmed electronically by an external provider.
    case electronic

    public var titleKey: String { "document.\(rawValue)" }
}

/// What a trusted source confirmed about a person.
public struct IdentityClaims: Sendable, Equatable {
    public var fullName: String
    public var birthDate: CalendarDay
    public var isResident: Bool
    public var documentType: IdentityDocumentType
    /// The document's number (or the provider's stable subject identifier). Only its keyed hash is stored.
    public var documentNumber: String

    public init(fullName: String, birthDate: CalendarDay, isResident: Bool, documentType: IdentityDocumentType, documentNumber: String) {
        self.fullName = fullName
        self.birthDate = birthDate
        self.isResident = isResident
        self.documentType = documentType
        self.documentNumber = documentNumber
    }

    /// Field errors (catalogue keys) for claims typed in by staff; empty when acceptable.
    public func errors(today: CalendarDay) -> [String: String] {
        var errors: [String: String] = [:]
        let name = fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 200 { errors["full_name"] = "verify.error.full_name" }
        let age = birthDate.years(until: today)
        if birthDate > today || age > 130 { errors["birth_date"] = "verify.error.birth_date" }
        let number = IdentityDocumentHasher.normalized(documentNumber)
        if number.count < 6 || number.count > 20 { errors["document_number"] = "verify.error.document_number" }
        return errors
    }
}

/// A standing verification of a person in a community, as modules see it.
public struct VerifiedIdentity: Sendable, Equatable {
    public var fullName: String
    public var birthDate: CalendarDay
    public var isResident: Bool
    /// `in_person`, or the name of an external provider.
    public var source: String
    public var verifiedAt: Date

    /// Age in whole years on `day`.
    public func age(on day: CalendarDay) -> Int { birthDate.years(until: day) }
}

/// Keys document numbers with the server's secret, so a stolen database does not hold passport
/// numbers, while the same document still maps to the same hash.
public struct IdentityDocumentHasher: Sendable {
    let key: [UInt8]

    public init(secretKey: [UInt8]) {
        // A key of its own, derived from the server secret, separate from the CSRF key.
        self.key = Crypto.hmacSHA256(key: secretKey, message: Array("hromada identity documents".utf8))
    }

    public func hash(type: IdentityDocumentType, number: String) -> [UInt8] {
        Crypto.hmacSHA256(key: key, message: Array("\(type.rawValue):\(Self.normalized(number))".utf8))
    }

    /// Upper-case letters and digits only: `мн 123-456` and `МН123456` are one document.
    public static func normalized(_ number: String) -> String {
        String(number.uppercased().filter { $0.isLetter || $0.isNumber })
    }
}

/// An external identity provider (id.gov.ua with a qualified e-signature, BankID, Diia) reached
/// over OpenID Connect. A provider sends the person away to prove who they are and turns the
/// callback into claims; ``VerificationStore/record(_:source:personID:communityID:verifiedBy:ip:)``
/// stores them exactly as it stores an in-person verification.
public protocol IdentityProvider: Sendable {
    /// The `source` recorded with verifications from this provider, such as `id_gov_ua`.
    var source: String { get }
    /// Where to send the person; `state` ties the callback to their session.
    func authorizationURL(state: String, redirectURI: String) -> URL
    /// The claims confirmed by the provider, from the callback's query parameters.
    func claims(fromCallback parameters: [String: String], redirectURI: String) async throws -> IdentityClaims
}
