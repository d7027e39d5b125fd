/// The `page` parameter of a paginated list.
enum PageNumber {
    /// Far past any real list; small enough that no offset computed from it can overflow.
    static let maximum = 1_000_000

    /// 1 when absent or not a number, otherwise the number within 1…``maximum``.
    static func from(_ text: Substring?) -> Int {
        min(max(1, text.flatMap { Int(String($0)) } ?? 1), maximum)
    }
}
