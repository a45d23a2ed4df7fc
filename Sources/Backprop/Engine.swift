import CKernels

/// The C network engine (`bp_mlp`) for one shape of network and one batch
/// capacity: layer shapes, loss, and every scratch buffer, allocated once.
///
/// A class because it owns C memory. Each `predict`, `train`, `gradients`
/// or gradient-check call makes its own, so engines are never shared between
/// tasks; within a call it is reused for every batch, which is why a
/// training step allocates nothing.
final class Engine<Scalar: NetworkScalar> {
    let pointer: OpaquePointer
    let capacity: Int

    init(_ network: Network<Scalar>, capacity: Int) throws {
        var specs = network.shapes.map {
            bp_layer_spec(n_in: $0.inputSize, n_out: $0.outputSize, act: $0.activation.kernel,
                          param: $0.activation.parameter)
        }
        let kind = network.loss.kernel(for: network.shapes[network.shapes.count - 1].activation).kind
        var out: OpaquePointer?
        guard Scalar.self == Double.self else { throw Kernels.unsupported(Scalar.self) }
        try check(bp_mlp_create(specs.count, &specs, kind, capacity, &out), "bp_mlp_create")
        pointer = out!
        self.capacity = capacity
    }

    deinit { bp_mlp_free(pointer) }

    /// Forward pass of `rows` samples at `x`; outputs copied to `out` if given.
    func forward(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                 out: UnsafeMutablePointer<Scalar>?) throws {
        try check(bp_mlp_forward(pointer, Kernels.d(parameters), rows, Kernels.d(x), ldx, Kernels.d(out)),
                  "bp_mlp_forward")
    }

    /// Mean loss of a batch; gradients into `grad` (parameter layout) and `dx` when given.
    func gradient(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                  targets: TargetPointer<Scalar>, grad: UnsafeMutablePointer<Scalar>?,
                  dx: UnsafeMutablePointer<Scalar>?) throws -> Double {
        var loss = 0.0
        try check(bp_mlp_gradient(pointer, Kernels.d(parameters), rows, Kernels.d(x), ldx,
                                  Kernels.d(targets.values), targets.labels, &loss, Kernels.d(grad), Kernels.d(dx)),
                  "bp_mlp_gradient")
        return loss
    }

    /// Backpropagates a caller-supplied dL/dA of the output layer.
    func backward(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                  outputGradient: UnsafePointer<Scalar>, grad: UnsafeMutablePointer<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?) throws {
        try check(bp_mlp_backward(pointer, Kernels.d(parameters), rows, Kernels.d(x), ldx,
                                  Kernels.d(outputGradient), Kernels.d(grad), Kernels.d(dx)), "bp_mlp_backward")
    }

    /// Outcome of one SGD step.
    enum StepResult { case ok, nonFiniteGradient, nonFiniteParameters }

    /// One SGD step on rows `indices[start..<start+rows]` (or `start..<start+rows`).
    func trainStep(parameters: UnsafeMutablePointer<Scalar>, x: UnsafePointer<Scalar>, ldx: Int,
                   targets: TargetPointer<Scalar>, indices: UnsafePointer<Int>?, start: Int, rows: Int,
                   learningRate: Double, loss: inout Double) throws -> StepResult {
        var diverged: Int32 = 0
        try check(bp_mlp_train_step(pointer, Kernels.d(parameters), Kernels.d(x), ldx, Kernels.d(targets.values),
                                    targets.labels, indices, start, rows, learningRate, &loss, &diverged),
                  "bp_mlp_train_step")
        switch diverged {
        case 0: return .ok
        case 1: return .nonFiniteGradient
        default: return .nonFiniteParameters
        }
    }

    /// Pre-activations of `layer` from the last forward pass (`rows × units`).
    func preactivations(layer: Int) throws -> UnsafePointer<Scalar> {
        var z: UnsafePointer<Double>?
        try check(bp_mlp_preactivations(pointer, layer, &z), "bp_mlp_preactivations")
        return UnsafeRawPointer(z!).assumingMemoryBound(to: Scalar.self)
    }
}

/// Targets as the C engine takes them: dense values or labels (one is nil).
struct TargetPointer<Scalar> {
    var values: UnsafePointer<Scalar>?
    var labels: UnsafePointer<Int>?
}

extension ResolvedTargets {
    /// Calls `body` with pointers to the targets.
    func withPointer<R>(_ body: (TargetPointer<Scalar>) throws -> R) rethrows -> R {
        switch self {
        case let .dense(values):
            return try values.withUnsafeBufferPointer { try body(TargetPointer(values: $0.baseAddress, labels: nil)) }
        case let .labels(labels):
            return try labels.withUnsafeBufferPointer { try body(TargetPointer(values: nil, labels: $0.baseAddress)) }
        }
    }
}
