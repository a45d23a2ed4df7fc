/// Why training ended.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// All requested epochs ran.
    case completed
    /// The loss (or a gradient, or an updated parameter) became NaN or
    /// infinite during `epoch`; the network keeps its last finite parameters.
    case nonFiniteLoss(epoch: Int)
    /// The `onEpoch` callback returned `.stop` after `epoch`.
    case stoppedByCallback(epoch: Int)
    /// A ``TrainingInterruption`` stopped the run after `step` steps of
    /// epoch `epoch` (`step` 0: before the epoch began); the report's
    /// ``TrainingReport/checkpoint`` resumes it.
    case interrupted(epoch: Int, step: Int)
    /// ``EarlyStopping``: the monitored loss had not improved for its
    /// patience when `epoch` ended; the best was that of `bestEpoch`.
    case earlyStopped(epoch: Int, bestEpoch: Int)

    /// Why training stopped, in words.
    public var description: String {
        switch self {
        case .completed: return "completed"
        case let .nonFiniteLoss(epoch): return "non-finite loss in epoch \(epoch)"
        case let .stoppedByCallback(epoch): return "stopped by callback after epoch \(epoch)"
        case let .earlyStopped(epoch, bestEpoch):
            return "stopped early after epoch \(epoch) (best epoch \(bestEpoch))"
        case let .interrupted(epoch, step):
            return step == 0 ? "interrupted before epoch \(epoch)" : "interrupted after step \(step) of epoch \(epoch)"
        }
    }
}
