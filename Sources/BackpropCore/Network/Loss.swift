import CKernels

/// The loss a network minimises, averaged over the batch (`bp_loss.h`).
///
/// - `meanSquaredError`: `L = 1/(n·k) Σ (ŷ − y)²`, mean over all elements.
/// - `binaryCrossEntropy`: `L = −1/(n·k) Σ [y log ŷ + (1 − y) log(1 − ŷ)]`;
///   needs a sigmoid output layer (each output an independent probability).
/// - `categoricalCrossEntropy`: `L = −1/n Σ_i Σ_j y_ij log ŷ_ij`; targets are
///   one-hot rows or integer class labels; needs a softmax output layer with
///   at least 2 units.
///
/// Cross-entropies therefore always run fused with their output activation:
/// sigmoid + binary cross-entropy and softmax + categorical cross-entropy use
/// the gradient
/// `dL/dz = (ŷ − y)/n` computed from the logits: it is exact, cheaper, and
/// cannot overflow or lose precision when the output saturates.
public enum Loss: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Mean squared error, for regression (any output activation).
    case meanSquaredError
    /// Binary cross-entropy, for independent 0/1 targets (sigmoid outputs).
    case binaryCrossEntropy
    /// Categorical cross-entropy, for one class per sample (softmax outputs).
    case categoricalCrossEntropy

    /// The loss's name as written in model files and on the command line.
    public var description: String { rawValue }

    /// Whether the loss compares class probabilities (so accuracy is meaningful).
    public var isClassification: Bool { self != .meanSquaredError }

    /// The kernel applied to the network output, and whether that output is
    /// the logits `z` (fused path) or the activations `a`.
    func kernel(for output: Activation) -> (kind: bp_loss, onLogits: Bool) {
        switch (self, output) {
        case (.binaryCrossEntropy, .sigmoid): return (BP_LOSS_BCE_LOGITS, true)
        case (.categoricalCrossEntropy, .softmax): return (BP_LOSS_SOFTMAX_CCE, true)
        case (.meanSquaredError, _): return (BP_LOSS_MSE, false)
        case (.binaryCrossEntropy, _): return (BP_LOSS_BCE, false)
        case (.categoricalCrossEntropy, _): return (BP_LOSS_CCE, false)
        }
    }

    /// Throws when the output activation cannot produce what the loss needs.
    package func validate(outputActivation: Activation, outputSize: Int) throws {
        switch self {
        case .meanSquaredError:
            return
        case .binaryCrossEntropy:
            // Each output is an independent Bernoulli probability: sigmoid.
            // (Softmax couples the outputs, and 1 − p of a saturated softmax
            // loses every digit to cancellation.)
            guard outputActivation == .sigmoid else {
                throw BackpropError.invalidConfiguration(
                    "binaryCrossEntropy needs a sigmoid output layer (independent probabilities), not \(outputActivation)")
            }
        case .categoricalCrossEntropy:
            guard outputActivation == .softmax else {
                throw BackpropError.invalidConfiguration(
                    "categoricalCrossEntropy needs a softmax output layer (one distribution per sample), not \(outputActivation)")
            }
            guard outputSize >= 2 else {
                throw BackpropError.invalidConfiguration(
                    "categoricalCrossEntropy needs at least 2 output units (one per class); use binaryCrossEntropy with one sigmoid output")
            }
        }
    }
}
