import Foundation
import Postgres

/// Template values for petitions.
struct PetitionView {
    let catalogue: TranslationCatalogue
    let language: Language
    let slug: String

    func values(_ petition: Petition) -> [String: Any] {
        var values: [String: Any] = [
            "id": petition.id, "title": petition.title, "body": petition.body, "author": petition.authorName,
            "status": catalogue.text(petition.status.titleKey, language), "status_code": petition.status.rawValue,
            "signatures": petition.signatures, "threshold": petition.signatureThreshold, "percent": petition.percent,
            "href": "/\(slug)/petitions/\(petition.id)", "created_on": KyivTime.day(of: petition.createdAt).isoString,
            "moderation_due_on": petition.moderationDueOn.isoString,
            "collecting": petition.status == .collecting,
        ]
        if let start = petition.collectionStartsOn, let end = petition.collectionEndsOn {
            values["starts_on"] = start.isoString
            values["ends_on"] = end.isoString
        }
        if let rejection = petition.rejection {
            values["rejection"] = ["reason": catalogue.text(rejection.reason.titleKey, language), "text": rejection.text]
        }
        return values
    }

    /// Signatures per hour as a bar chart in SVG, drawn on the server so it shows without JavaScript.
    static func velocityChart(_ perHour: [(hour: Date, signatures: Int)], label: String) -> String {
        guard let peak = perHour.map(\.signatures).max(), peak > 0 else { return "" }
        let barWidth = 14, gap = 2, height = 120
        let width = max(1, perHour.count) * (barWidth + gap)
        var bars = ""
        for (index, entry) in perHour.enumerated() {
            let barHeight = max(1, entry.signatures * height / peak)
            let title = "\(KyivTime.minute(of: entry.hour)): \(entry.signatures)"
            bars += "<rect x=\"\(index * (barWidth + gap))\" y=\"\(height - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"#0b5cad\"><title>\(title)</title></rect>"
        }
        return "<svg role=\"img\" aria-label=\"\(label)\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" class=\"chart\">\(bars)</svg>"
    }
}

extension SigningRefusal {
    /// How each refusal answers over HTTP.
    var kind: AppError.Kind {
        switch self {
        case .notSignedIn: .unauthorized
        case .notVerified: .forbidden
        case .notCollecting, .periodOver, .alreadySigned: .conflict
        case .rateLimited: .rateLimited
        }
    }

    var appError: AppError { AppError(kind, detailKey: messageKey) }
}
