import Foundation

/// How the learning rate changes from epoch to epoch during `train`, with
/// the definitions of PyTorch's `torch.optim.lr_scheduler`, stepped once
/// per epoch.
///
/// Epochs are counted from 0 here: epoch `e` (the `e + 1`-th) trains every
/// step with the rate `η_e`, where `η` is `train`'s `learningRate`:
///
/// | schedule | `η_e` | PyTorch |
/// |---|---|---|
/// | ``constant`` | `η` | — |
/// | ``step(every:factor:)`` | `η·γ^⌊e/k⌋` | `StepLR(step_size=k, gamma=γ)` |
/// | ``exponential(factor:)`` | `η·γ^e` | `ExponentialLR(gamma=γ)` |
/// | ``cosine(period:minimum:warmUpEpochs:warmUpStartFactor:)`` | `η·(s + (1 − s)·e/w)` for `e < w`, then `η_min + (η − η_min)·(1 + cos(π·(e − w)/T))/2` | `SequentialLR([LinearLR(s, 1, w), CosineAnnealingLR(T, η_min)], [w])` |
/// | ``reduceOnPlateau(factor:patience:threshold:cooldown:minimum:)`` | `η` until the monitored loss stops improving, then `max(η·γ, η_min)`, … | `ReduceLROnPlateau(mode="min", threshold_mode="rel")` |
///
/// The cosine curve continues past `T` as PyTorch's closed form does
/// (rising again towards `η` at `2T`). Reduce-on-plateau monitors the
/// validation loss when `train` has validation data, the training loss
/// otherwise; its state is part of a checkpoint.
public enum LearningRateSchedule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The same rate every epoch.
    case constant
    /// The rate times `factor` (γ) every `every` (k) epochs.
    case step(every: Int, factor: Double)
    /// The rate times `factor` (γ) every epoch.
    case exponential(factor: Double)
    /// Cosine annealing from `η` to `minimum` over `period` epochs, after
    /// `warmUpEpochs` epochs of linear warm-up from `warmUpStartFactor·η`.
    case cosine(period: Int, minimum: Double = 0, warmUpEpochs: Int = 0, warmUpStartFactor: Double = 1.0 / 3)
    /// The rate times `factor` once the monitored loss has not improved —
    /// fallen below `best·(1 − threshold)` — for more than `patience`
    /// epochs; then `cooldown` epochs without counting; never below `minimum`.
    case reduceOnPlateau(factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, cooldown: Int = 0,
                         minimum: Double = 0)

    /// Checks the schedule's parameters.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``.
    public func validate() throws {
        func require(_ name: String, _ value: some Numeric & CustomStringConvertible, _ ok: Bool, _ expected: String) throws {
            guard ok else {
                throw BackpropError.invalidHyperparameter(name: "schedule.\(name)", value: "\(value)", expected: expected)
            }
        }
        switch self {
        case .constant: break
        case let .step(every, factor):
            try require("every", every, every >= 1, "≥ 1")
            try require("factor", factor, factor.isFinite && factor > 0, "finite and > 0")
        case let .exponential(factor):
            try require("factor", factor, factor.isFinite && factor > 0, "finite and > 0")
        case let .cosine(period, minimum, warmUpEpochs, warmUpStartFactor):
            try require("period", period, period >= 1, "≥ 1")
            try require("minimum", minimum, minimum.isFinite && minimum >= 0, "finite and ≥ 0")
            try require("warmUpEpochs", warmUpEpochs, warmUpEpochs >= 0, "≥ 0")
            try require("warmUpStartFactor", warmUpStartFactor,
                        warmUpStartFactor.isFinite && warmUpStartFactor > 0 && warmUpStartFactor <= 1, "in (0, 1]")
        case let .reduceOnPlateau(factor, patience, threshold, cooldown, minimum):
            try require("factor", factor, factor.isFinite && factor > 0 && factor < 1, "in (0, 1)")
            try require("patience", patience, patience >= 0, "≥ 0")
            try require("threshold", threshold, threshold.isFinite && threshold >= 0 && threshold < 1, "in [0, 1)")
            try require("cooldown", cooldown, cooldown >= 0, "≥ 0")
            try require("minimum", minimum, minimum.isFinite && minimum >= 0, "finite and ≥ 0")
        }
    }

    /// The rate of epoch `epoch` (0-based) for a base rate `rate`, for
    /// every schedule but ``reduceOnPlateau(factor:patience:threshold:cooldown:minimum:)``,
    /// whose rate depends on the losses (``PlateauState``): it returns `rate`.
    public func learningRate(base rate: Double, epoch: Int) -> Double {
        switch self {
        case .constant, .reduceOnPlateau:
            return rate
        case let .step(every, factor):
            return rate * pow(factor, Double(epoch / every))
        case let .exponential(factor):
            return rate * pow(factor, Double(epoch))
        case let .cosine(period, minimum, warmUp, start):
            if epoch < warmUp { return rate * (start + (1 - start) * Double(epoch) / Double(warmUp)) }
            let phase = Double.pi * Double(epoch - warmUp) / Double(period)
            return minimum + (rate - minimum) * (1 + cos(phase)) / 2
        }
    }

    /// The schedule as the command line writes it: "constant",
    /// "step:10:0.5", "exponential:0.95", "cosine:100[:min[:warm-up[:start]]]",
    /// "plateau[:factor[:patience[:threshold[:cooldown[:min]]]]]".
    public var description: String {
        switch self {
        case .constant: return "constant"
        case let .step(every, factor): return "step:\(every):\(factor)"
        case let .exponential(factor): return "exponential:\(factor)"
        case let .cosine(period, minimum, warmUp, start):
            return Self.fields("cosine", ["\(period)", "\(minimum)", "\(warmUp)", "\(start)"],
                               defaults: [nil, "\(0.0)", "0", "\(1.0 / 3)"])
        case let .reduceOnPlateau(factor, patience, threshold, cooldown, minimum):
            return Self.fields("plateau", ["\(factor)", "\(patience)", "\(threshold)", "\(cooldown)", "\(minimum)"],
                               defaults: ["\(0.1)", "10", "\(1e-4)", "0", "\(0.0)"])
        }
    }

    /// `name:v1:v2:…` without the trailing values that equal their defaults.
    private static func fields(_ name: String, _ values: [String], defaults: [String?]) -> String {
        var kept = values
        while let last = kept.last, defaults[kept.count - 1] == last { kept.removeLast() }
        return ([name] + kept).joined(separator: ":")
    }
}

/// Where a reduce-on-plateau schedule stands between epochs: the current
/// rate, the best monitored loss, the epochs without improvement and the
/// cooldown left (`ReduceLROnPlateau`'s state).
public struct PlateauState: Sendable, Equatable, Codable {
    /// The rate of the next epoch.
    public var learningRate: Double
    /// The lowest monitored loss so far (`nil` before the first epoch).
    public var best: Double?
    /// Epochs since the last improvement.
    public var badEpochs = 0
    /// Epochs of cooldown left.
    public var cooldownLeft = 0

    /// The state before the first epoch, at rate `learningRate`.
    public init(learningRate: Double) { self.learningRate = learningRate }

    /// Takes the monitored loss of the epoch just finished (PyTorch's
    /// `step(metric)`, mode "min", threshold mode "rel"): an improvement
    /// is `loss < best·(1 − threshold)`; after more than `patience` bad
    /// epochs the rate becomes `max(rate·factor, minimum)` (kept if that
    /// changes it by at most 1e-8) and the cooldown starts.
    public mutating func record(loss: Double, factor: Double, patience: Int, threshold: Double, cooldown: Int,
                                minimum: Double) {
        if loss < (best ?? .infinity) * (1 - threshold) {
            best = loss
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = Swift.max(learningRate * factor, minimum)
            if learningRate - reduced > 1e-8 { learningRate = reduced }
            cooldownLeft = cooldown
            badEpochs = 0
        }
    }
}
