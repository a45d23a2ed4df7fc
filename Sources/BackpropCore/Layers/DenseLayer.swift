/// A dense layer's parameters: `a = f(x·W + b)`.
///
/// `weights` is `inputSize × outputSize` (row `i` holds the weights from
/// input `i` to every unit, so a batch multiplies as `X·W`), `bias` has
/// `outputSize` elements. Set them through ``setWeights(_:)`` and
/// ``setBias(_:)``, which validate shape and finiteness.
public struct DenseLayer<Scalar: NetworkScalar>: Sendable, Equatable, Codable {
    /// Number of inputs, `n_in`.
    public let inputSize: Int
    /// Number of units, `n_out`.
    public let outputSize: Int
    /// The activation `f`.
    public let activation: Activation
    /// `W`, `inputSize × outputSize`.
    public internal(set) var weights: Matrix<Scalar>
    /// `b`, `outputSize` values.
    public internal(set) var bias: [Scalar]

    /// A layer with the given parameters.
    /// - Throws: on a shape mismatch or a non-finite parameter.
    public init(weights: Matrix<Scalar>, bias: [Scalar], activation: Activation) throws {
        guard weights.rows > 0 else { throw BackpropError.emptyData(what: "weights") }
        guard weights.columns > 0 else { throw BackpropError.zeroWidthLayer(index: 0) }
        self.inputSize = weights.rows
        self.outputSize = weights.columns
        self.activation = activation
        self.weights = weights
        self.bias = bias
        try setWeights(weights)
        try setBias(bias)
    }

    init(uncheckedWeights weights: Matrix<Scalar>, bias: [Scalar], activation: Activation) {
        self.inputSize = weights.rows
        self.outputSize = weights.columns
        self.activation = activation
        self.weights = weights
        self.bias = bias
    }

    /// Replaces `W`. - Throws: unless `weights` is `inputSize × outputSize` and finite.
    public mutating func setWeights(_ weights: Matrix<Scalar>) throws {
        guard weights.rows == inputSize, weights.columns == outputSize else {
            throw BackpropError.shapeMismatch(what: "weights", expected: "\(inputSize) × \(outputSize)",
                                              got: "\(weights.rows) × \(weights.columns)")
        }
        if let (r, c) = weights.firstNonFinite() {
            throw BackpropError.nonFinite(what: "weights", row: r, column: c)
        }
        self.weights = weights
    }

    /// Replaces `b`. - Throws: unless `bias` has `outputSize` finite values.
    public mutating func setBias(_ bias: [Scalar]) throws {
        guard bias.count == outputSize else {
            throw BackpropError.shapeMismatch(what: "bias", expected: "\(outputSize) values",
                                              got: "\(bias.count) values")
        }
        if let j = bias.firstIndex(where: { !$0.isFinite }) {
            throw BackpropError.nonFinite(what: "bias", row: 0, column: j)
        }
        self.bias = bias
    }

    private enum CodingKeys: String, CodingKey { case weights, bias, activation }

    /// Decodes `{"weights": …, "bias": […], "activation": …}`, validating
    /// shapes and finiteness like ``init(weights:bias:activation:)``.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(weights: try c.decode(Matrix<Scalar>.self, forKey: .weights),
                      bias: try c.decode([Scalar].self, forKey: .bias),
                      activation: try c.decode(Activation.self, forKey: .activation))
    }

    /// Encodes weights, bias and activation (the shape follows from the weights).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weights, forKey: .weights)
        try c.encode(bias, forKey: .bias)
        try c.encode(activation, forKey: .activation)
    }

    /// Number of trainable parameters, `inputSize·outputSize + outputSize`.
    public var parameterCount: Int { inputSize * outputSize + outputSize }
}
