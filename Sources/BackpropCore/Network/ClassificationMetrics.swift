/// How well a classifier does on labelled data.
public struct ClassificationMetrics: Sendable, Equatable {
    /// The mean loss the network was trained to minimise.
    public var loss: Double
    /// Fraction of rows classified correctly.
    public var accuracy: Double
    /// The confusion matrix.
    public var confusion: ConfusionMatrix

    /// Metrics from their parts (`accuracy` is the confusion matrix's).
    public init(loss: Double, accuracy: Double, confusion: ConfusionMatrix) {
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
    }
}
