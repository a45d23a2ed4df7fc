import BackpropCore
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
    /// Cells are read as numbers by the same rule as feature cells (a cell
    /// with a control character is not a number), and distinct values are
    /// counted by value (`1` and `1.0` are one value):
    /// - any cell that is not a finite number: classification;
    /// - only integers, at most ``maximumInferredClasses`` distinct values,
    ///   and fewer distinct values than half the rows: classification;
    /// - otherwise (fractions, or many distinct integers): regression.
    public static func infer(fromLabels cells: [String]) -> (task: LearningTask, reason: String) {
        var values: [Double] = []
        values.reserveCapacity(cells.count)
        for cell in cells {
            guard let value = CellNumber.value(cell) else {
                return (.classification, "the labels are not all numbers (\(quoted(cell)))")
            }
            values.append(value)
        }
        if let fraction = values.first(where: { $0.rounded() != $0 }) {
            return (.regression, "the labels are numbers with fractions (\(fraction))")
        }
        let valueCount = Set(cells.map(LabelValue.init)).count
        if valueCount <= maximumInferredClasses && 2 * valueCount <= cells.count {
            return (.classification, "the labels are \(valueCount) distinct integers")
        }
        return (.regression, "the labels are \(valueCount) distinct integers, too many to be classes")
    }
}
