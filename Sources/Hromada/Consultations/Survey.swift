import Foundation

/// One survey question.
public struct SurveyQuestion: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case single, multiple, scale, text
    }

    public var id: Int
    public var position: Int
    public var kind: Kind
    public var text: String
    public var options: [String]
    /// For multiple choice: how many options one may tick.
    public var maxChoices: Int?
    public var scale: ClosedRange<Int>?

    public init(id: Int = 0, position: Int, kind: Kind, text: String, options: [String] = [], maxChoices: Int? = nil, scale: ClosedRange<Int>? = nil) {
        self.id = id
        self.position = position
        self.kind = kind
        self.text = text
        self.options = options
        self.maxChoices = maxChoices
        self.scale = scale
    }

    public static let maximumOptions = 10
    public static let maximumQuestions = 20

    /// Reads the officials' survey text: each question is a line `? Text [kind]`, where kind is
    /// `single`, `multiple N` (at most N ticks), `scale A-B` or `text`, followed by its options as
    /// lines `- Option`. Returns the questions, or the catalogue key of what is wrong and the
    /// line it is on.
    public static func parse(_ source: String) -> Result<[SurveyQuestion], ParseError> {
        var questions: [SurveyQuestion] = []
        for (number, raw) in source.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("?") {
                guard let open = line.lastIndex(of: "["), line.hasSuffix("]") else { return .failure(ParseError(line: number + 1, key: "survey.error.kind")) }
                let text = line[line.index(after: line.startIndex)..<open].trimmingCharacters(in: .whitespaces)
                let spec = line[line.index(after: open)..<line.index(before: line.endIndex)].split(separator: " ").map(String.init)
                guard let kind = spec.first.flatMap(Kind.init(rawValue:)), (3...1000).contains(text.count) else {
                    return .failure(ParseError(line: number + 1, key: text.count < 3 ? "survey.error.text" : "survey.error.kind"))
                }
                var question = SurveyQuestion(position: questions.count + 1, kind: kind, text: text)
                switch kind {
                case .multiple:
                    guard spec.count == 2, let maximum = Int(spec[1]), maximum >= 1 else { return .failure(ParseError(line: number + 1, key: "survey.error.kind")) }
                    question.maxChoices = maximum
                case .scale:
                    let bounds = spec.count == 2 ? spec[1].split(separator: "-").compactMap { Int($0) } : []
                    guard bounds.count == 2, bounds[0] < bounds[1], bounds[1] - bounds[0] <= 10 else {
                        return .failure(ParseError(line: number + 1, key: "survey.error.scale"))
                    }
                    question.scale = bounds[0]...bounds[1]
                case .single, .text:
                    guard spec.count == 1 else { return .failure(ParseError(line: number + 1, key: "survey.error.kind")) }
                }
                questions.append(question)
            } else if line.hasPrefix("-") {
                guard var question = questions.popLast(), question.kind == .single || question.kind == .multiple else {
                    return .failure(ParseError(line: number + 1, key: "survey.error.option_place"))
                }
                let option = line.dropFirst().trimmingCharacters(in: .whitespaces)
                guard (1...300).contains(option.count), question.options.count < maximumOptions else {
                    return .failure(ParseError(line: number + 1, key: "survey.error.options"))
                }
                question.options.append(option)
                questions.append(question)
            } else {
                return .failure(ParseError(line: number + 1, key: "survey.error.line"))
            }
        }
        guard questions.count <= maximumQuestions else { return .failure(ParseError(line: 0, key: "survey.error.too_many")) }
        for question in questions where question.kind == .single || question.kind == .multiple {
            guard question.options.count >= 2, (question.maxChoices ?? 1) <= question.options.count else {
                return .failure(ParseError(line: 0, key: "survey.error.options"))
            }
        }
        return .success(questions)
    }

    public struct ParseError: Error, Equatable, Sendable {
        public var line: Int
        public var key: String
    }

    /// The survey text that ``parse(_:)`` reads back.
    public static func text(of questions: [SurveyQuestion]) -> String {
        questions.map { question in
            let kind = switch question.kind {
            case .single: "single"
            case .multiple: "multiple \(question.maxChoices ?? 1)"
            case .scale: "scale \(question.scale?.lowerBound ?? 1)-\(question.scale?.upperBound ?? 5)"
            case .text: "text"
            }
            return (["? \(question.text) [\(kind)]"] + question.options.map { "- \($0)" }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// One person's answer to one question.
public enum SurveyAnswer: Sendable, Equatable {
    case choices([Int])
    case scale(Int)
    case text(String)
}

public enum SurveyAnswers {
    /// Reads a survey form: `q<id>` holds a single choice's index, a scale value or a text;
    /// `q<id>_<index>` ticks a multiple-choice option. Choice and scale questions must be
    /// answered; text may be left empty. Returns the answers or the field errors.
    public static func read(_ form: FormData, questions: [SurveyQuestion]) -> Result<[Int: SurveyAnswer], AppError> {
        var answers: [Int: SurveyAnswer] = [:]
        var errors: [String: String] = [:]
        for question in questions {
            let field = "q\(question.id)"
            switch question.kind {
            case .single:
                guard let index = Int(form[field]), question.options.indices.contains(index) else { errors[field] = "survey.error.answer"; continue }
                answers[question.id] = .choices([index])
            case .multiple:
                let ticked = question.options.indices.filter { form["\(field)_\($0)"] == "on" || form["\(field)_\($0)"] == "yes" }
                guard !ticked.isEmpty, ticked.count <= (question.maxChoices ?? question.options.count) else {
                    errors[field] = "survey.error.choices"
                    continue
                }
                answers[question.id] = .choices(ticked)
            case .scale:
                guard let value = Int(form[field]), question.scale?.contains(value) == true else { errors[field] = "survey.error.answer"; continue }
                answers[question.id] = .scale(value)
            case .text:
                let text = form.raw(field).trimmingCharacters(in: .whitespacesAndNewlines)
                guard text.count <= 5000 else { errors[field] = "survey.error.text_answer"; continue }
                if !text.isEmpty { answers[question.id] = .text(text) }
            }
        }
        return errors.isEmpty ? .success(answers) : .failure(AppError(.validation, fieldErrors: errors))
    }
}

/// The tally of one question over all submissions.
public struct QuestionResult: Sendable, Equatable {
    public var question: SurveyQuestion
    /// Answers given to this question.
    public var answered: Int
    /// Per option (choice questions) or per scale value, in order.
    public var counts: [Int]
    public var average: Double?
    public var texts: [String]

    /// Counts the answers of every submission, question by question.
    public static func tally(_ questions: [SurveyQuestion], answers: [[Int: SurveyAnswer]]) -> [QuestionResult] {
        questions.map { question in
            var result = QuestionResult(question: question, answered: 0, counts: [], average: nil, texts: [])
            switch question.kind {
            case .single, .multiple: result.counts = Array(repeating: 0, count: question.options.count)
            case .scale: result.counts = Array(repeating: 0, count: question.scale?.count ?? 0)
            case .text: break
            }
            var total = 0
            for submission in answers {
                guard let answer = submission[question.id] else { continue }
                result.answered += 1
                switch answer {
                case .choices(let indexes):
                    for index in indexes where result.counts.indices.contains(index) { result.counts[index] += 1 }
                case .scale(let value):
                    if let scale = question.scale, scale.contains(value) { result.counts[value - scale.lowerBound] += 1 }
                    total += value
                case .text(let text): result.texts.append(text)
                }
            }
            if question.kind == .scale && result.answered > 0 { result.average = Double(total) / Double(result.answered) }
            return result
        }
    }
}
