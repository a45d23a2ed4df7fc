/// Stops `train` once the monitored loss has stopped improving, and gives
/// the network back the parameters of its best epoch.
///
/// The monitored loss is the validation loss when `train` has validation
/// data (the usual set-up: hold out a split, as scikit-learn's
/// `early_stopping=True` does), the training loss otherwise. An epoch
/// improves when its loss is below `best − minimumImprovement`; training
/// stops after `patience` consecutive epochs without improvement, with
/// ``StopReason/earlyStopped(epoch:bestEpoch:)``, and, when
/// ``restoresBestParameters``, the network's parameters become those at
/// the end of the best epoch (the optimiser's state stays where training
/// stopped). The parameters of the best epoch are kept in one buffer
/// allocated when training starts: steps still allocate nothing.
public struct EarlyStopping: Sendable, Hashable, Codable {
    /// Epochs without improvement that end training (≥ 1).
    public var patience: Int
    /// How far below the best loss an epoch must come to count as an
    /// improvement (≥ 0, in the loss's units).
    public var minimumImprovement: Double
    /// Whether the network ends with the parameters of its best epoch
    /// (otherwise it keeps those of the last).
    public var restoresBestParameters: Bool

    /// Early stopping after `patience` epochs (default 10, scikit-learn's
    /// `n_iter_no_change`) of improvement below `minimumImprovement`
    /// (default 0, any decrease counts).
    public init(patience: Int = 10, minimumImprovement: Double = 0, restoresBestParameters: Bool = true) {
        self.patience = patience
        self.minimumImprovement = minimumImprovement
        self.restoresBestParameters = restoresBestParameters
    }

    /// Checks the settings.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``.
    public func validate() throws {
        guard patience >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "earlyStopping.patience", value: "\(patience)",
                                                      expected: "≥ 1")
        }
        guard minimumImprovement.isFinite && minimumImprovement >= 0 else {
            throw BackpropError.invalidHyperparameter(name: "earlyStopping.minimumImprovement",
                                                      value: "\(minimumImprovement)", expected: "finite and ≥ 0")
        }
    }
}

/// Where early stopping stands between epochs.
struct EarlyStoppingState: Equatable, Codable {
    /// The lowest monitored loss so far (`nil`: no finite loss yet).
    var best: Double?
    /// The 1-based epoch that reached it (0: none yet).
    var bestEpoch = 0
    /// Epochs since then without improvement.
    var badEpochs = 0
    /// The parameters at the end of the best epoch (empty unless restored).
    var bestParameters: [Double] = []

    /// Takes the monitored loss of `epoch`; true when it is an improvement.
    mutating func record(loss: Double, epoch: Int, settings: EarlyStopping) -> Bool {
        if best.map({ loss < $0 - settings.minimumImprovement }) ?? loss.isFinite {
            best = loss
            bestEpoch = epoch
            badEpochs = 0
            return true
        }
        badEpochs += 1
        return false
    }
}
