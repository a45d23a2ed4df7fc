import Foundation

/// A request to stop a `train` call at the next step boundary, so that the
/// run can be saved as a ``TrainingCheckpoint`` and resumed later.
///
/// Pass one to ``Network/train(on:epochs:learningRate:batchSize:shuffle:validation:schedule:regularization:earlyStopping:interruption:onEpoch:checkpointEvery:onCheckpoint:)``
/// and call ``request()`` from anywhere — another task, a signal handler's
/// dispatch queue, a timer. Training checks it between runs of steps
/// (at most ``Network/rowsPerInterruptionCheck`` rows apart, or between
/// epochs for a smaller data set), finishes the step it is in, and returns
/// a report whose ``TrainingReport/stopReason`` is
/// ``StopReason/interrupted(epoch:step:)`` and whose
/// ``TrainingReport/checkpoint`` resumes the run exactly.
///
/// ```swift
/// let interruption = TrainingInterruption()
/// // elsewhere: interruption.request()
/// let report = try net.train(on: data, epochs: 100, learningRate: 0.1, batchSize: 32,
///                            interruption: interruption)
/// if let checkpoint = report.checkpoint { try checkpoint.encoded().write(to: url) }
/// ```
///
/// A class, shared by reference between the training call and whoever
/// requests the stop; its flag is guarded by a lock, so it is `Sendable`.
public final class TrainingInterruption: @unchecked Sendable {
    // `requested` is only read or written with `lock` held (hence @unchecked).
    private let lock = NSLock()
    private var requested = false
    /// Steps after which a call stops by itself (see ``init(afterSteps:)``).
    let stepLimit: Int?

    /// An interruption that nothing has requested yet.
    public init() { stepLimit = nil }

    /// An interruption that requests itself once a `train` call given it has
    /// taken `steps` steps (counted from the start of that call): a budget
    /// of updates, and a way to stop at an exact step.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``
    ///   unless `steps ≥ 1`.
    public init(afterSteps steps: Int) throws {
        guard steps >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "afterSteps", value: "\(steps)", expected: "≥ 1")
        }
        stepLimit = steps
    }

    /// Asks training to stop after the step it is taking. Safe from any thread.
    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// Whether a stop has been requested.
    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}
