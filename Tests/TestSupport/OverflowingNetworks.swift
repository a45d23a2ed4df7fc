import BackpropCore

/// Networks with finite parameters whose results overflow on some finite
/// inputs, shared by the core's and the tabular module's overflow tests.
public enum OverflowingNetworks {
    /// 2 → 2 ReLU → 1 sigmoid, binary cross-entropy. A row with a = 1 gives
    /// hidden units of 10²⁰⁰ each; the output logit is 10²⁰⁰·h₀ +
    /// `secondWeight`·h₁: ∞ − ∞ = NaN for −10²⁰⁰ (the output is NaN), +∞ for
    /// +10²⁰⁰ (the output saturates at 1, the loss does not). Rows with a = 0
    /// stay at 0.
    public static func saturating(secondWeight: Double) throws -> Network<Double> {
        var net = try Network(inputSize: 2, layers: [.dense(2, .relu), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 1)
        try net.setWeights(Matrix([[1e200, 1e200], [0, 0]]), layer: 0)
        try net.setBias([0, 0], layer: 0)
        try net.setWeights(Matrix([[1e200], [secondWeight]]), layer: 1)
        try net.setBias([0], layer: 1)
        return net
    }

    /// `rows` rows of two zeros but row `hot`, whose first feature is 1:
    /// the inputs of ``saturating(secondWeight:)``.
    public static func inputs(rows: Int, hot: Int) throws -> Matrix<Double> {
        var x = try Matrix<Double>(rows: rows, columns: 2)
        x[hot, 0] = 1
        return x
    }

    /// 1 → 1 identity → 1 identity with both weights 10⁸⁰ and zero biases,
    /// mean squared error: the input 1 gives the finite output 10¹⁶⁰, whose
    /// square (and squared error against 0) is infinite.
    public static func squaring() throws -> Network<Double> {
        var net = try Network(inputSize: 1, layers: [.dense(1, .identity), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[1e80]]), layer: 0)
        try net.setWeights(Matrix([[1e80]]), layer: 1)
        try net.setBias([0], layer: 0)
        try net.setBias([0], layer: 1)
        return net
    }
}
