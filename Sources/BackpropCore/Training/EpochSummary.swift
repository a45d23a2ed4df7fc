/// What one finished epoch looked like; passed to the `onEpoch` callback.
public struct EpochSummary: Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss over the epoch's batches (weighted by batch size),
    /// each measured before that batch's update.
    public var trainingLoss: Double
    /// Loss on the validation set after the epoch, if one was given.
    public var validationLoss: Double?
    /// Accuracy on the validation set after the epoch, for classification losses.
    public var validationAccuracy: Double?
    /// Time since training started.
    public var elapsed: Duration
    /// The learning rate η of the epoch's steps (the schedule's).
    public var learningRate: Double = 0
}
