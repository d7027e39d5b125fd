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

extension AppServices {
    func documentView(_ language: Language) -> DocumentView {
        DocumentView(catalogue: catalogue, language: language, today: todayInKyiv)
    }
}
