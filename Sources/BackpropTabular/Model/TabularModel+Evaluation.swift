import BackpropCore

extension TabularModel {
    /// Loss, accuracy and confusion matrix on raw features with class indices.
    /// - Throws: ``/BackpropCore/BackpropError`` for invalid features or labels, and
    ///   ``/BackpropCore/BackpropError/overflow(what:row:)`` when the loss or an output is
    ///   NaN or infinite (the model's weights are too large for a row): the
    ///   metrics are finite numbers or an error.
    public func evaluate(features: Matrix<Double>, classIndices: [Int]) throws -> ClassificationMetrics {
        guard let classes else { throw BackpropError.invalidConfiguration("this is a \(task) model, not a classification model") }
        let x = try prepare(features)
        let loss = try network.loss(inputs: x, labels: classIndices)
        let predicted = try network.predictClasses(x)
        let confusion = try ConfusionMatrix(truth: classIndices, predicted: predicted, classes: classes.names)
        return ClassificationMetrics(loss: loss, accuracy: confusion.accuracy, confusion: confusion)
    }

    /// MSE, MAE and R² on raw features with target values, in the label's units.
    /// - Throws: ``/BackpropCore/BackpropError`` for invalid features or values, and
    ///   ``/BackpropCore/BackpropError/overflow(what:row:)`` when a prediction or the
    ///   squared error is NaN or infinite (finite predictions too far from
    ///   the values, or weights too large for a row).
    public func evaluate(features: Matrix<Double>, values: [Double]) throws -> RegressionMetrics {
        let predicted = try predictValues(features)
        let metrics = try RegressionMetrics(truth: values, predicted: predicted)
        if !metrics.meanSquaredError.isFinite {
            var sum = 0.0
            for (i, (y, p)) in zip(values, predicted).enumerated() {
                sum += (y - p) * (y - p)
                if !sum.isFinite { throw BackpropError.overflow(what: "the squared error", row: i) }
            }
        }
        return metrics
    }
}
