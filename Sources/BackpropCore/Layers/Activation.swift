import CKernels

/// The activation `f` of a dense layer, `a = f(z)` with `z = x·W + b`.
///
/// Forward and backward passes run in the C kernels (`bp_activation.h`),
/// which stay finite for every finite input.
public enum Activation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `f(z) = z`: linear output, e.g. for regression.
    case identity
    /// `f(z) = max(0, z)`; `f'(0)` is taken as 0.
    case relu
    /// `f(z) = z` for `z > 0`, `slope · z` otherwise (`slope` finite, typically 0.01).
    case leakyReLU(slope: Double)
    /// `f(z) = 1 / (1 + e^(−z))`, derivative `f(z)(1 − f(z))`.
    case sigmoid
    /// `f(z) = tanh z`, derivative `1 − tanh² z`.
    case tanh
    /// Row-wise `softmax(z)_j = e^(z_j) / Σ_i e^(z_i)`: each sample's outputs
    /// form a probability distribution.
    case softmax

    /// The name used in descriptions and model files: "relu", "leakyReLU(0.01)", ...
    public var description: String {
        switch self {
        case .identity: return "identity"
        case .relu: return "relu"
        case let .leakyReLU(slope): return "leakyReLU(\(slope))"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softmax: return "softmax"
        }
    }

    /// Whether the derivative has a kink at `z = 0` (gradient checks flag
    /// parameters whose perturbation crosses it).
    var hasKink: Bool {
        switch self {
        case .relu, .leakyReLU: return true
        default: return false
        }
    }

    /// The initializer used when a layer does not name one: He for the ReLU
    /// family (it keeps the variance of activations constant through layers
    /// that zero half their inputs), Xavier for the rest.
    public var defaultInitializer: Initializer {
        hasKink ? .he : .xavier
    }

    var kernel: bp_activation {
        switch self {
        case .identity: return BP_ACT_IDENTITY
        case .relu: return BP_ACT_RELU
        case .leakyReLU: return BP_ACT_LEAKY_RELU
        case .sigmoid: return BP_ACT_SIGMOID
        case .tanh: return BP_ACT_TANH
        case .softmax: return BP_ACT_SOFTMAX
        }
    }

    var parameter: Double {
        if case let .leakyReLU(slope) = self { return slope }
        return 0
    }
}
