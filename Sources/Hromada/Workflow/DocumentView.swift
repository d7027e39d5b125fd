import Foundation
import Postgres

/// Template values for documents, shared by the office, the public view, appeals and accounts.
struct DocumentView {
    let catalogue: TranslationCatalogue
    let language: Language
    let today: CalendarDay

    func values(_ document: Document, communitySlug: String) -> [String: Any] {
        var values: [String: Any] = [
            "id": document.id, "reference": document.reference, "title": document.title,
            "kind": catalogue.text(document.kind.titleKey, language),
            "status": catalogue.text(document.status.titleKey, language), "status_code": document.status.rawValue,
            "priority": catalogue.text(document.priority.titleKey, language),
            "department": document.departmentName(language), "registered_on": document.registeredOn.isoString,
            "due_on": document.dueOn.isoString, "overdue": document.isOverdue(today: today),
            "due_soon": document.isDueSoon(today: today),
            "office_href": "/\(communitySlug)/office/documents/\(document.id)",
            "public_href": "/\(communitySlug)/documents/\(document.id)",
        ]
        if let assignee = document.assigneeName { values["assignee"] = assignee }
        if let reason = document.extensionReason { values["extension_reason"] = reason }
        if let answer = document.answer {
            var answerValues: [String: Any] = [
                "text": answer.text, "outcome": catalogue.text("outcome.\(answer.outcome)", language),
                "at": KyivTime.day(of: answer.answeredAt).isoString,
            ]
            if let link = answer.link { answerValues["link"] = link }
            values["answer"] = answerValues
        }
        return values
    }

    func values(_ event: DocumentEvent, showActors: Bool) -> [String: Any] {
        var values: [String: Any] = [
            "at": KyivTime.minute(of: event.at), "action": catalogue.text("document.event.\(event.action)", language),
            "internal": event.isInternal,
        ]
        if let status = event.toStatus, status != event.fromStatus { values["status"] = catalogue.text(status.titleKey, language) }
        if showActors, let actor = event.actorName { values["actor"] = actor }
        if !event.comment.isEmpty && (showActors || event.action == DocumentAction.extend.rawValue) {
            values["comment"] = event.comment
        }
        return values
    }

}

/// Dates and times as people in Ukraine read them.
enum KyivTime {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: WorkflowStore.timeZone) ?? TimeZone(secondsFromGMT: 7200)!
        return calendar
    }()

    static func day(of date: Date) -> CalendarDay {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// `2026-11-27 14:05`.
    static func minute(of date: Date) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return day(of: date).isoString + String(format: " %02d:%02d", parts.hour!, parts.minute!)
    }
}

extension AppServices {
    /// Today in Ukraine, for due-date colours; the database decides what is overdue in queries.
    var todayInKyiv: CalendarDay { KyivTime.day(of: Date()) }

    func documentView(_ language: Language) -> DocumentView {
        DocumentView(catalogue: catalogue, language: language, today: todayInKyiv)
    }
}
