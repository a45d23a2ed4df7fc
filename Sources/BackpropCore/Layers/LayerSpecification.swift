/// A layer as you describe it when building a network, before it has
/// parameters: `.dense(4, .relu)` is a fully connected layer of 4 ReLU
/// units. Its input size is the previous layer's width (or the network's
/// `inputSize`); ``Network/init(inputSize:layers:loss:seed:)-4wu5y`` draws its
/// weights. The layer with parameters is a ``DenseLayer``.
public struct LayerSpecification: Sendable, Hashable, Codable {
    /// Number of units (the layer's output width); must be ≥ 1.
    public var units: Int
    /// The activation applied to `z = x·W + b`.
    public var activation: Activation
    /// How `W` is drawn; `nil` means `activation.defaultInitializer`.
    public var initializer: Initializer?

    /// A dense (fully connected) layer of `units` units.
    public static func dense(_ units: Int, _ activation: Activation,
                             initializer: Initializer? = nil) -> LayerSpecification {
        LayerSpecification(units: units, activation: activation, initializer: initializer)
    }
}
