import CKernels

/// The loss a network minimises, averaged over the batch (`bp_loss.h`).
///
/// - `meanSquaredError`: `L = 1/(n·k) Σ (ŷ − y)²`, mean over all elements.
/// - `binaryCrossEntropy`: `L = −1/(n·k) Σ [y log ŷ + (1 − y) log(1 − ŷ)]`;
///   needs a sigmoid (or softmax) output layer.
/// - `categoricalCrossEntropy`: `L = −1/n Σ_i Σ_j y_ij log ŷ_ij`; targets are
///   one-hot rows or integer class labels; needs a softmax (or sigmoid)
///   output layer.
///
/// With a sigmoid output and binary cross-entropy, or a softmax output and
/// categorical cross-entropy, the network uses the fused gradient
/// `dL/dz = (ŷ − y)/n` computed from the logits: it is exact, cheaper, and
/// cannot overflow or lose precision when the output saturates.
public enum Loss: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case meanSquaredError
    case binaryCrossEntropy
    case categoricalCrossEntropy

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
    func validate(outputActivation: Activation, outputSize: Int) throws {
        switch self {
        case .meanSquaredError:
            return
        case .binaryCrossEntropy, .categoricalCrossEntropy:
            guard outputActivation == .sigmoid || outputActivation == .softmax else {
                throw BackpropError.invalidConfiguration(
                    "\(self) needs probabilities: the output layer must use sigmoid or softmax, not \(outputActivation)")
            }
            if self == .categoricalCrossEntropy && outputSize < 2 {
                throw BackpropError.invalidConfiguration(
                    "categoricalCrossEntropy needs at least 2 output units (one per class); use binaryCrossEntropy for a single output")
            }
            if outputActivation == .softmax && outputSize < 2 {
                throw BackpropError.invalidConfiguration(
                    "a softmax output needs at least 2 units (a 1-unit softmax is constantly 1); use sigmoid for one output")
            }
        }
    }
}
