/// How a layer's weights are drawn when the network is created. Biases start
/// at zero. All draws come from the network's seeded generator.
///
/// For a layer with fan-in `n_in` and fan-out `n_out`:
/// - `normal(standardDeviation: σ)`: N(0, σ²).
/// - `uniform(lowerBound: a, upperBound: b)`: U[a, b).
/// - `xavier`: Glorot normal, N(0, 2/(n_in + n_out)); the default for
///   identity, sigmoid, tanh and softmax layers.
/// - `xavierUniform`: Glorot uniform, U(±√(6/(n_in + n_out))).
/// - `he`: He normal, N(0, 2/n_in); the default for ReLU and leaky ReLU.
/// - `heUniform`: He uniform, U(±√(6/n_in)).
/// - `zeros`: all weights 0 (symmetric: every unit of a layer then learns
///   the same thing; useful for tests and linear models).
public enum Initializer: Sendable, Hashable, Codable {
    /// N(0, σ²) with σ = `standardDeviation` (finite, ≥ 0).
    case normal(standardDeviation: Double)
    /// U[a, b) with a = `lowerBound` ≤ b = `upperBound` (finite).
    case uniform(lowerBound: Double, upperBound: Double)
    /// Glorot normal, N(0, 2/(n_in + n_out)).
    case xavier
    /// Glorot uniform, U(±√(6/(n_in + n_out))).
    case xavierUniform
    /// He normal, N(0, 2/n_in).
    case he
    /// He uniform, U(±√(6/n_in)).
    case heUniform
    /// All zeros.
    case zeros

    package func validate() throws {
        switch self {
        case let .normal(standardDeviation):
            guard standardDeviation.isFinite, standardDeviation >= 0 else {
                throw BackpropError.invalidHyperparameter(
                    name: "normal initializer standard deviation", value: "\(standardDeviation)",
                    expected: "finite and ≥ 0")
            }
        case let .uniform(a, b):
            guard a.isFinite, b.isFinite, a <= b, (b - a).isFinite else {
                throw BackpropError.invalidHyperparameter(
                    name: "uniform initializer bounds", value: "[\(a), \(b))",
                    expected: "finite with lower ≤ upper")
            }
        default:
            return
        }
    }
}
