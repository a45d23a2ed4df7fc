import BackpropCore
/// A trained network together with everything needed to use it on raw
/// data: the feature names it reads, the standardization it was trained
/// with, the task, and the class names or target scaling.
///
/// This is what a model file holds (see ``ModelFile``), and what the
/// `backprop` command trains, evaluates and predicts with.
///
/// ```swift
/// let model = try ModelFile.load(from: URL(fileURLWithPath: "model.json"))
/// let x: Matrix = [[5.1, 3.5, 1.4, 0.2]]            // raw, unstandardized
/// let names = try model.predictClasses(x).map { model.classes![$0] }   // ["setosa"]
/// ```
public struct TabularModel: Sendable {
    /// The network, which sees standardized inputs.
    public let network: Network<Double>
    /// Classification or regression.
    public let task: LearningTask
    /// The input columns, in the network's input order.
    public let featureNames: [String]
    /// The label (target) column's name.
    public let labelName: String
    /// Class names, for classification (`nil` for regression).
    public let classes: ClassLabels?
    /// Applied to raw features before the network (`nil`: none).
    public let inputScaling: Standardizer?
    /// For regression: the network predicts standardized targets, mapped
    /// back through this (`nil`: raw targets).
    public let targetScaling: Standardizer?
    /// Free-form notes kept in the model file (how it was trained, ...).
    public var metadata: [String: String]

    /// A model, checked for consistency.
    /// - Throws: ``/BackpropCore/BackpropError/invalidConfiguration(_:)`` when the parts do
    ///   not fit: feature names that do not match the network's inputs, class
    ///   names that do not match its outputs, a regression network with more
    ///   than one output or a classification loss, scalings of the wrong width.
    public init(network: Network<Double>, task: LearningTask, featureNames: [String], labelName: String,
                classes: ClassLabels?, inputScaling: Standardizer?, targetScaling: Standardizer? = nil,
                metadata: [String: String] = [:]) throws {
        func fail(_ message: String) -> BackpropError { .invalidConfiguration(message) }
        guard featureNames.count == network.inputSize else {
            throw fail("\(featureNames.count) feature names for a network with \(network.inputSize) inputs")
        }
        guard Set(featureNames).count == featureNames.count, !featureNames.contains("") else {
            throw fail("feature names must be non-empty and distinct")
        }
        guard !labelName.isEmpty, !featureNames.contains(labelName) else {
            throw fail("the label name must be non-empty and not a feature name")
        }
        if let inputScaling, inputScaling.count != network.inputSize {
            throw fail("input standardization has \(inputScaling.count) columns, the network \(network.inputSize) inputs")
        }
        switch task {
        case .classification:
            guard let classes else { throw fail("a classifier needs class names") }
            let outputs = network.outputSize
            guard outputs == classes.count || (outputs == 1 && classes.count == 2) else {
                throw fail("\(classes.count) classes for a network with \(outputs) outputs (expected \(classes.count)\(classes.count == 2 ? " or 1" : ""))")
            }
            guard targetScaling == nil else { throw fail("a classifier has no target standardization") }
        case .regression:
            guard classes == nil else { throw fail("a regression model has no class names") }
            guard network.outputSize == 1 else {
                throw fail("a regression model predicts one value; the network has \(network.outputSize) outputs")
            }
            guard network.loss == .meanSquaredError else {
                throw fail("a regression model is trained with meanSquaredError, not \(network.loss)")
            }
            if let targetScaling, targetScaling.count != 1 {
                throw fail("target standardization has \(targetScaling.count) columns, expected 1")
            }
        }
        self.network = network
        self.task = task
        self.featureNames = featureNames
        self.labelName = labelName
        self.classes = classes
        self.inputScaling = inputScaling
        self.targetScaling = targetScaling
        self.metadata = metadata
    }

    /// Raw features standardized as in training: what the network sees.
    /// - Throws: ``/BackpropCore/BackpropError`` for the wrong number of columns or non-finite values.
    public func prepare(_ features: Matrix<Double>) throws -> Matrix<Double> {
        guard features.columns == featureNames.count else {
            throw BackpropError.shapeMismatch(what: "features", expected: "n × \(featureNames.count)",
                                              got: "\(features.rows) × \(features.columns)")
        }
        return try inputScaling?.transform(features) ?? features
    }

    /// The network's outputs for raw features (`n × outputs`).
    /// - Throws: ``/BackpropCore/BackpropError`` for the wrong number of columns or
    ///   non-finite features, ``/BackpropCore/BackpropError/overflow(what:row:)`` when an
    ///   output is NaN or infinite (the weights are too large for that row):
    ///   every prediction is a finite number or an error.
    public func outputs(_ features: Matrix<Double>) throws -> Matrix<Double> {
        try network.predict(prepare(features))
    }

    /// For classification: one column per class, the network's output for
    /// that class (probabilities for softmax or a single sigmoid output; a
    /// single output `p` becomes the two columns `1 − p`, `p`).
    public func classProbabilities(_ features: Matrix<Double>) throws -> Matrix<Double> {
        try requireTask(.classification)
        let out = try outputs(features)
        guard out.columns == 1 else { return out }
        var two = [Double]()
        two.reserveCapacity(2 * out.rows)
        for i in 0..<out.rows { two.append(1 - out[i, 0]); two.append(out[i, 0]) }
        return try Matrix(rows: out.rows, columns: 2, elements: two)
    }

    /// For classification: the predicted class index of every row (the
    /// largest output, or for a single output 1 when it is ≥ 0.5).
    public func predictClasses(_ features: Matrix<Double>) throws -> [Int] {
        try requireTask(.classification)
        return try network.predictClasses(prepare(features))
    }

    /// For regression: the predicted value of every row, in the label's units.
    /// - Throws: as ``outputs(_:)``, and ``/BackpropCore/BackpropError/overflow(what:row:)``
    ///   when a finite output becomes infinite in the label's units.
    public func predictValues(_ features: Matrix<Double>) throws -> [Double] {
        try requireTask(.regression)
        var out = try outputs(features)
        if let targetScaling {
            do {
                out = try targetScaling.inverseTransform(out)
            } catch let BackpropError.nonFinite(_, row, _) {
                // Finite outputs, finite statistics: a non-finite result overflowed.
                throw BackpropError.overflow(what: "the prediction in the label's units", row: row)
            }
        }
        return out.elements
    }

    /// Regression targets as the network is trained on them (standardized
    /// with ``targetScaling`` when there is one), `n × 1`.
    public func networkTargets(_ values: [Double]) throws -> Matrix<Double> {
        let column = Matrix(column: values)
        return try targetScaling?.transform(column) ?? column
    }

    private func requireTask(_ expected: LearningTask) throws {
        guard task == expected else {
            throw BackpropError.invalidConfiguration("this is a \(task) model, not a \(expected) model")
        }
    }
}
