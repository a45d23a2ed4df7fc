/// How well a regression model does on labelled data, in the label's units.
public struct RegressionMetrics: Sendable, Equatable {
    /// Number of rows.
    public var count: Int
    /// Mean squared error `Σ(y − ŷ)²/n`.
    public var meanSquaredError: Double
    /// Mean absolute error `Σ|y − ŷ|/n`.
    public var meanAbsoluteError: Double
    /// Coefficient of determination `1 − Σ(y − ŷ)²/Σ(y − ȳ)²`; `nil` when
    /// every `y` is the same (the ratio is undefined).
    public var rSquared: Double?

    /// Metrics of predictions against the truth.
    /// - Throws: ``BackpropError`` for empty or unequal arrays.
    public init(truth: [Double], predicted: [Double]) throws {
        guard !truth.isEmpty else { throw BackpropError.emptyData(what: "truth") }
        guard truth.count == predicted.count else {
            throw BackpropError.sampleCountMismatch(inputs: predicted.count, targets: truth.count)
        }
        let n = Double(truth.count)
        var squares = 0.0, absolutes = 0.0
        for (y, p) in zip(truth, predicted) { squares += (y - p) * (y - p); absolutes += abs(y - p) }
        let mean = truth.reduce(0, +) / n
        let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        count = truth.count
        meanSquaredError = squares / n
        meanAbsoluteError = absolutes / n
        rSquared = total > 0 ? 1 - squares / total : nil
    }
}
