/// What a model predicts from a table's label column.
public enum LearningTask: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// One of a fixed set of classes (string or integer labels).
    case classification
    /// A real number.
    case regression

    /// "classification" or "regression".
    public var description: String { rawValue }

    /// The largest number of distinct integer labels that still reads as
    /// classes rather than a quantity.
    public static let maximumInferredClasses = 20

    /// Guesses the task from the text of a label column, with the reason.
    ///
    /// - any cell that is not a number: classification;
    /// - only integers, at most ``maximumInferredClasses`` distinct values,
    ///   and fewer distinct values than half the rows: classification;
    /// - otherwise (fractions, or many distinct integers): regression.
    public static func infer(fromLabels cells: [String]) -> (task: LearningTask, reason: String) {
        let distinct = Set(cells)
        if let text = cells.first(where: { Double($0) == nil || !Double($0)!.isFinite }) {
            return (.classification, "the labels are not all numbers (\(quoted(text)))")
        }
        let values = cells.map { Double($0)! }
        if let fraction = values.first(where: { $0.rounded() != $0 }) {
            return (.regression, "the labels are numbers with fractions (\(fraction))")
        }
        let valueCount = Set(values).count
        if valueCount <= maximumInferredClasses && 2 * valueCount <= cells.count {
            return (.classification, "the labels are \(distinct.count) distinct integers")
        }
        return (.regression, "the labels are \(valueCount) distinct integers, too many to be classes")
    }
}
