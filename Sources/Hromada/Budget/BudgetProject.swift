import Foundation
import Postgres

/// A project submitted to a participatory budget cycle.
public struct BudgetProject: Sendable {
    public var id: Int
    public var cycleID: Int
    public var communityID: Int
    public var categoryID: Int
    public var authorID: Int
    public var authorName: String
    public var title: String
    public var description: String
    public var location: GeoPoint?
    /// Kopecks, the sum of the estimate's lines.
    public var estimatedCost: Int
    /// Kopecks, set by the reviewing department.
    public var correctedCost: Int?
    public var status: BudgetProjectStatus
    public var reviewReason: String?
    public var submittedAt: Date
    public var implementation: BudgetImplementationStatus?
    public var progress: Int
    /// Kopecks spent on implementation so far.
    public var spent: Int
    public var votes: Int

    /// What the project costs: the department's correction if there is one.
    public var cost: Int { correctedCost ?? estimatedCost }
}

public enum BudgetProjectStatus: String, Sendable, CaseIterable, Codable {
    case submitted
    case admitted
    case rejected

    public var titleKey: String { "budget.status.\(rawValue)" }
}

public enum BudgetImplementationStatus: String, Sendable, CaseIterable, Codable {
    case planned
    case procurement
    case inProgress = "in_progress"
    case done

    public var titleKey: String { "budget.implementation.\(rawValue)" }
}

/// A point in WGS 84 (SRID 4326).
public struct GeoPoint: Sendable, Equatable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Reads the form's `latitude` and `longitude`: both empty is no point; anything else must be
    /// valid degrees, or `errors["location"]` says so.
    public static func from(_ form: FormData, errors: inout [String: String]) -> GeoPoint? {
        let latitude = form["latitude"], longitude = form["longitude"]
        if latitude.isEmpty && longitude.isEmpty { return nil }
        guard let lat = Double(latitude.replacingOccurrences(of: ",", with: ".")), (-90...90).contains(lat),
              let lon = Double(longitude.replacingOccurrences(of: ",", with: ".")), (-180...180).contains(lon)
        else {
            errors["location"] = "budget.error.location"
            return nil
        }
        return GeoPoint(latitude: lat, longitude: lon)
    }
}

/// One line of a cost estimate: what, how many, at what price.
public struct CostLine: Sendable, Equatable {
    public var item: String
    /// Hundredths of a unit: 12.5 m² is 1250.
    public var quantityHundredths: Int
    /// Kopecks per unit.
    public var unitPrice: Int

    public init(item: String, quantityHundredths: Int, unitPrice: Int) {
        self.item = item
        self.quantityHundredths = quantityHundredths
        self.unitPrice = unitPrice
    }

    /// Kopecks, rounded half up to the kopeck.
    public var total: Int { (quantityHundredths * unitPrice + 50) / 100 }
}

/// Money and quantities as people type and read them: `1 234,50` or `1234.5`.
public enum Money {
    /// Parses an amount with at most two decimals into hundredths (kopecks for hryvnias).
    public static func hundredths(_ text: String) -> Int? {
        let cleaned = text.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\u{00A0}", with: "")
            .replacingOccurrences(of: ",", with: ".")
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 12, parts[0].allSatisfy(\.isASCII),
              let whole = Int(parts[0]), whole >= 0 else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCII), let value = Int(fraction), value >= 0 else { return nil }
        return whole * 100 + (fraction.count == 1 ? value * 10 : value)
    }

    /// `149 500,00` — grouped thousands and two decimals, as Ukrainian documents write sums.
    public static func format(_ hundredths: Int) -> String {
        let whole = abs(hundredths) / 100
        let fraction = abs(hundredths) % 100
        var digits = String(whole)
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(digits, at: 0)
        return (hundredths < 0 ? "-" : "") + groups.joined(separator: "\u{00A0}") + String(format: ",%02d", fraction)
    }
}

/// What an author writes; checked by ``BudgetSubmissionRules``.
public struct ProjectDraft: Sendable {
    public var categoryID: Int?
    public var title: String
    public var description: String
    public var location: GeoPoint?
    public var lines: [CostLine]

    public init(categoryID: Int?, title: String, description: String, location: GeoPoint?, lines: [CostLine]) {
        self.categoryID = categoryID
        self.title = title
        self.description = description
        self.location = location
        self.lines = lines
    }

    public var estimatedCost: Int { lines.reduce(0) { $0 + $1.total } }

    /// Reads the form: `category`, `title`, `description`, `latitude`/`longitude`, and cost lines
    /// `item_N`, `quantity_N`, `price_N` for N = 1…50 (blank lines skipped). Field errors are collected.
    public static func from(_ form: FormData) -> (draft: ProjectDraft, errors: [String: String]) {
        var errors: [String: String] = [:]
        var lines: [CostLine] = []
        for index in 1...BudgetSubmissionRules.maximumLines {
            let item = form["item_\(index)"], quantity = form["quantity_\(index)"], price = form["price_\(index)"]
            if item.isEmpty && quantity.isEmpty && price.isEmpty { continue }
            // The caps keep quantity × price far inside 64 bits: a million units at 100 million hryvnias.
            guard !item.isEmpty, item.count <= 200, let q = Money.hundredths(quantity), (1...100_000_000).contains(q),
                  let p = Money.hundredths(price), (1...10_000_000_000).contains(p) else {
                errors["lines"] = "budget.error.line"
                continue
            }
            lines.append(CostLine(item: item, quantityHundredths: q, unitPrice: p))
        }
        let location = GeoPoint.from(form, errors: &errors)
        let draft = ProjectDraft(categoryID: Int(form["category"]), title: form["title"], description: form.raw("description")
            .trimmingCharacters(in: .whitespacesAndNewlines), location: location, lines: lines)
        return (draft, errors)
    }
}

/// Who may submit what, and when; plain values in, catalogue keys out.
public enum BudgetSubmissionRules {
    public static let maximumLines = 20

    /// Errors in the project itself, against the cycle's rules and categories.
    public static func errors(_ draft: ProjectDraft, rules: BudgetRules, categories: [BudgetCategory]) -> [String: String] {
        var errors: [String: String] = [:]
        if draft.categoryID.map({ id in categories.contains { $0.id == id } }) != true { errors["category"] = "budget.error.category" }
        if draft.title.count < 10 || draft.title.count > 200 { errors["title"] = "budget.error.title" }
        if draft.description.count < 50 || draft.description.count > 10_000 { errors["description"] = "budget.error.description" }
        if draft.lines.isEmpty { errors["lines"] = "budget.error.no_lines" }
        else if draft.estimatedCost > rules.maximumProjectCost { errors["lines"] = "budget.error.too_expensive" }
        return errors
    }

    /// Why this author may not submit another project now; `nil` when they may. Who may submit
    /// is decided before when, so a person who never may is told so in any phase.
    public static func refusal(phase: BudgetPhase, identity: VerifiedIdentity?, today: CalendarDay, rules: BudgetRules,
                               projectsByAuthor: Int) -> String? {
        guard let identity, identity.isResident else { return "budget.refusal.not_verified" }
        guard identity.age(on: today) >= rules.authorMinimumAge else { return "budget.refusal.too_young" }
        guard phase == .submission else { return "budget.refusal.not_submission" }
        guard projectsByAuthor < rules.maximumProjectsPerAuthor else { return "budget.refusal.too_many_projects" }
        return nil
    }
}
