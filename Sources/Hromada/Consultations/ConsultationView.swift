import Foundation
import Postgres

/// Template values for consultations.
struct ConsultationView {
    let catalogue: TranslationCatalogue
    let language: Language
    let slug: String
    let today: CalendarDay

    func values(_ consultation: Consultation) -> [String: Any] {
        let phase = consultation.phase(on: today)
        return [
            "id": consultation.id, "title": consultation.title, "question": consultation.question, "affected": consultation.affected,
            "href": "/\(slug)/consultations/\(consultation.id)", "starts_on": consultation.startsOn.isoString, "ends_on": consultation.endsOn.isoString,
            "phase": catalogue.text(phase.titleKey, language), "phase_code": phase.rawValue, "is_open": phase == .open,
            "is_closed": phase == .closed, "is_reported": phase == .reported, "has_results": phase >= .closed,
            "format": catalogue.text(consultation.format.titleKey, language), "has_discussion": consultation.format.hasDiscussion,
            "has_survey": consultation.format.hasSurvey, "participation": catalogue.text(consultation.participation.titleKey, language),
            "minimum_age": consultation.minimumAge, "moderation": catalogue.text(consultation.moderation.titleKey, language),
        ]
    }

    func values(_ comment: ConsultationComment, canSupport: Bool, canModerate: Bool, href: String) -> [String: Any] {
        var values: [String: Any] = [
            "id": comment.id, "author": comment.authorName, "at": KyivTime.minute(of: comment.createdAt), "supports": comment.supports,
            "pending": comment.status == "pending", "removed": comment.status == "removed", "href": href,
        ]
        if comment.status == "removed" { values["reason"] = comment.removalReason ?? "" } else { values["body"] = comment.body }
        if canSupport && comment.status == "published" { values["can_support"] = true }
        if comment.supportedByViewer { values["supported"] = true }
        if canModerate && comment.status != "removed" { values["can_moderate"] = true }
        return values
    }

    /// A question's results: per option or scale value its count and share as text, with a bar
    /// (`<meter>` of the answers) beside it; text a screen reader reads and a phone shows at full size.
    func values(_ result: QuestionResult) -> [String: Any] {
        let labels: [String] = switch result.question.kind {
        case .single, .multiple: result.question.options
        case .scale: (result.question.scale ?? 0...0).map(String.init)
        case .text: []
        }
        let rows = zip(labels, result.counts).map { pair -> [String: Any] in
            let share = result.answered == 0 ? 0 : pair.1 * 100 / result.answered
            return ["label": pair.0, "count": pair.1, "share": share, "of": max(1, result.answered)]
        }
        var values: [String: Any] = [
            "text": result.question.text, "answered": result.answered, "rows": rows,
            "has_chart": !rows.isEmpty, "texts": result.texts.map { ["text": $0] },
        ]
        if let average = result.average { values["average"] = String(format: "%.2f", average) }
        return values
    }
}
