/// A forward pass with everything it computed: the batch `X` (`A_0`,
/// `n × inputSize`) and, for every layer `l`, its pre-activations
/// `Z_l = A_{l−1}·W_l + b_l` and activations `A_l = f_l(Z_l)`
/// (``LayerTrace``, `n × n_out` each).
///
/// ``Network/forward(_:)`` records it;
/// ``Network/backward(_:outputGradient:)`` backpropagates a loss's gradient
/// `dL/dA_L` through exactly this state, for a loss the library does not
/// know:
///
/// ```swift
/// let trace = try net.forward(x)                    // trace.outputs: n × outputSize
/// let y = trace.outputs.elements.reduce(0, +)       // L = y² (seed 02's layer)
/// let dA = try Matrix(rows: x.rows, columns: net.outputSize,
///                     repeating: 2 * y)             // dL/dA_L = 2y everywhere
/// let g = try net.backward(trace, outputGradient: dA)
/// let delta = g.layers[0].preActivations            // dL/dZ_0, n × n_out
/// try net.apply(g, learningRate: 0.001)
/// ```
///
/// A trace belongs to the parameters it was computed with: it keeps the
/// network's parameter array, shared copy-on-write, so keeping it costs no
/// copy until the network changes (the network's next change then copies
/// its parameters once). ``Network/backward(_:outputGradient:)`` refuses it
/// once the network's parameters have changed (any `setWeights`,
/// `setBias`, `apply` or `train` since, unless the same values were set
/// back) or for another network.
///
/// Memory: `n × Σ_l n_out(l)` values for the `Z_l` and as many for the
/// `A_l`, besides the inputs (shared with the matrix passed in).
public struct ForwardTrace<Scalar: NetworkScalar>: Sendable {
    /// The batch, `A_0 = X`: `n × inputSize`, one sample per row.
    public let inputs: Matrix<Scalar>
    /// Every layer's `Z_l` and `A_l`, first to last.
    public let layers: [LayerTrace<Scalar>]
    /// The network's outputs, `A_L` of the last layer: `n × outputSize`,
    /// the same values as ``Network/predict(_:)``'s.
    public var outputs: Matrix<Scalar> { layers[layers.count - 1].activations }

    /// The network's parameters when the pass ran (its own array, shared).
    let parameters: [Scalar]
    /// The network's layer shapes when the pass ran.
    let shapes: [LayerShape]
    /// The kernel set the pass ran on: the backward pass runs on it too, so
    /// that the forward pass it repeats in C is this one bit for bit.
    let kernels: KernelSet

    /// Whether `network` has the shape and the parameters this pass ran
    /// with. The network's array is still the trace's own storage unless
    /// it changed since (copy-on-write), which is checked first, in
    /// constant time; otherwise the values are compared.
    func matches(_ network: Network<Scalar>) -> Bool {
        guard shapes == network.shapes else { return false }
        let shared = parameters.withUnsafeBufferPointer { recorded in
            network.parameters.withUnsafeBufferPointer { current in
                recorded.baseAddress == current.baseAddress && recorded.count == current.count
            }
        }
        return shared || parameters == network.parameters
    }
}
