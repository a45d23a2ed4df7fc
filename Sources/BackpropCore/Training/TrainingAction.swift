/// The callback's verdict after each epoch.
public enum TrainingAction: Sendable, Equatable {
    /// Go on with the next epoch.
    case `continue`
    /// End training now (the report says `.stoppedByCallback`).
    case stop
}
