import CKernels

/// The C network engine (`bp_mlp` / `bp_mlp_f32`) for one network shape and
/// one batch capacity: layer shapes, loss, every scratch buffer, and a GEMM
/// context (`bp_exec`) with the network's thread count and kernel set — all
/// allocated once.
///
/// A class because it owns C memory. A network lends one to each `predict`,
/// `train`, `loss` or `gradients` call from its ``EngineCache`` (and keeps
/// it for the next call), so an engine is never used by two calls at once;
/// within a call it is reused for every batch, which is why a training step
/// allocates nothing.
final class Engine<Scalar: NetworkScalar> {
    private let mlp: OpaquePointer
    private let exec: OpaquePointer
    /// The C kernels of `Scalar`.
    private var functions: KernelFunctions<Scalar> { Scalar.kernelFunctions }
    /// Rows a call may pass at most.
    let capacity: Int
    /// Threads of its GEMM context.
    let threads: Int
    /// The kernel set its context was created with.
    let kernels: KernelSet
    /// The parameters a `train` call's current epoch started from (written
    /// by the C engine at the start of every epoch, read back after an
    /// update overflows): kept with the engine, so that a call neither
    /// allocates nor first-touches a parameter-sized copy (W4's 8 MB in
    /// float: ~1 % of a one-epoch call).
    let snapshot: UnsafeMutableBufferPointer<Scalar>

    init(_ network: Network<Scalar>, capacity: Int) throws {
        guard network.threads >= 1 && network.threads <= Int(BP_EXEC_MAX_THREADS) else {
            throw BackpropError.invalidHyperparameter(name: "threads", value: "\(network.threads)",
                                                      expected: "between 1 and \(BP_EXEC_MAX_THREADS)")
        }
        var specs = network.shapes.map {
            bp_layer_spec(n_in: $0.inputSize, n_out: $0.outputSize, act: $0.activation.kernel,
                          param: $0.activation.parameter)
        }
        let kind = network.loss.kernel(for: network.shapes[network.shapes.count - 1].activation).kind
        var workspace = 0
        let functions = Scalar.kernelFunctions
        try check(functions.workspaceBytes(specs.count, &specs, kind, capacity, &workspace),
                  function: functions.name("bp_mlp_workspace_bytes"))
        // the buffers, and the snapshot of the parameters kept beside them
        let snapshotBytes = MemoryBudget.bytes(count: network.parameters.count, size: MemoryLayout<Scalar>.stride)
        try network.memoryBudget.require(workspace.addingReportingOverflow(snapshotBytes).overflow
                                         ? Int.max : workspace + snapshotBytes,
                                         for: "the buffers of a batch of \(capacity) rows")
        var execOut: OpaquePointer?
        try check(bp_exec_create_with(network.threads, network.kernels.execFlags, &execOut), "bp_exec_create_with")
        var out: OpaquePointer?
        do {
            try check(functions.create(specs.count, &specs, kind, capacity, &out), function: functions.name("bp_mlp_create"))
            try check(functions.setExec(out, execOut), function: functions.name("bp_mlp_set_exec"))
        } catch {
            functions.free(out)
            bp_exec_free(execOut)
            throw error
        }
        mlp = out!
        exec = execOut!
        self.capacity = capacity
        self.threads = network.threads
        self.kernels = network.kernels
        snapshot = .allocate(capacity: network.parameters.count)
        snapshot.initialize(repeating: 0)
    }

    deinit {
        functions.free(mlp)
        bp_exec_free(exec)
        snapshot.deallocate()
    }

    /// The name of the code its context runs (`bp_exec_kernel_name`):
    /// "reference", "portable", "avx2+fma", ...
    var kernelName: String { String(cString: bp_exec_kernel_name(exec)) }

    /// Forward pass of `rows` samples at `x`; outputs copied to `out` if given.
    func forward(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                 out: UnsafeMutablePointer<Scalar>?) throws {
        try check(functions.forward(mlp, parameters, rows, x, ldx, out), function: functions.name("bp_mlp_forward"))
    }

    /// Mean loss of a batch; gradients into `grad` (parameter layout) and `dx` when given.
    func gradient(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                  targets: TargetPointer<Scalar>, grad: UnsafeMutablePointer<Scalar>?,
                  dx: UnsafeMutablePointer<Scalar>?) throws -> Double {
        var loss = 0.0
        try check(functions.gradient(mlp, parameters, rows, x, ldx, targets.values, targets.labels, &loss, grad, dx),
                  function: functions.name("bp_mlp_gradient"))
        return loss
    }

    /// Backpropagates a caller-supplied dL/dA of the output layer.
    func backward(parameters: UnsafePointer<Scalar>, rows: Int, x: UnsafePointer<Scalar>, ldx: Int,
                  outputGradient: UnsafePointer<Scalar>, grad: UnsafeMutablePointer<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?) throws {
        try check(functions.backward(mlp, parameters, rows, x, ldx, outputGradient, grad, dx),
                  function: functions.name("bp_mlp_backward"))
    }

    /// Outcome of one SGD step (or of an epoch of them: its first divergence).
    enum StepResult {
        case ok, nonFiniteGradient, nonFiniteParameters

        /// From the C engine's `diverged` flag: 0, 1 (nothing applied) or 2.
        init(_ diverged: Int32) {
            switch diverged {
            case 0: self = .ok
            case 1: self = .nonFiniteGradient
            default: self = .nonFiniteParameters
            }
        }
    }

    /// `epochs` epochs of SGD steps in one C call: each epoch batches of
    /// `batchSize` rows (the last one may be smaller) over `count` rows,
    /// visited in the order `orders[e·count ..< (e+1)·count]` for epoch `e`
    /// (`nil`: rows `0..<count` every epoch). Epoch `e`'s mean loss goes to
    /// `losses[e]`; `snapshot` (the parameter count) receives the
    /// parameters at the start of every epoch, so after a divergence it
    /// holds the ones the diverging epoch started from. Returns how many
    /// epochs completed and the first divergence (`.ok` if none).
    func trainEpochs(parameters: UnsafeMutablePointer<Scalar>, x: UnsafePointer<Scalar>, ldx: Int,
                     targets: TargetPointer<Scalar>, orders: UnsafePointer<Int>?, count: Int,
                     batchSize: Int, epochs: Int, learningRate: Double,
                     losses: UnsafeMutablePointer<Double>,
                     snapshot: UnsafeMutablePointer<Scalar>) throws -> (completed: Int, outcome: StepResult) {
        var diverged: Int32 = 0
        var completed = 0
        try check(functions.trainEpochs(mlp, parameters, x, ldx, targets.values, targets.labels, orders, count,
                                        batchSize, epochs, learningRate, losses, snapshot, &completed, &diverged),
                  function: functions.name("bp_mlp_train_epochs"))
        return (completed, StepResult(diverged))
    }

    /// Makes `optimizer` the engine's update rule, its state at its
    /// starting values and step 0 (`bp_mlp_set_optimizer`; it allocates
    /// the state, the only allocation of a `train` call's steps).
    func setOptimizer(_ optimizer: Optimizer) throws {
        var o = optimizer.kernel
        try check(functions.setOptimizer(mlp, &o), function: functions.name("bp_mlp_set_optimizer"))
    }

    /// State values of the engine's optimiser (slots × parameters).
    func optimizerStateCount() throws -> Int {
        var count = 0
        try check(functions.optimizerStateSize(mlp, &count), function: functions.name("bp_mlp_optimizer_state_size"))
        return count
    }

    /// Copies the optimiser's state into `state` (exactly
    /// ``optimizerStateCount()`` values) and returns its step count.
    func readOptimizerState(into state: UnsafeMutableBufferPointer<Scalar>) throws -> Int {
        var step: UInt64 = 0
        try check(functions.getOptimizerState(mlp, state.baseAddress, state.count, &step),
                  function: functions.name("bp_mlp_get_optimizer_state"))
        return Int(step)
    }

    /// Replaces the optimiser's state and step count.
    func writeOptimizerState(_ state: UnsafeBufferPointer<Scalar>, step: Int) throws {
        try check(functions.setOptimizerState(mlp, state.baseAddress, state.count, UInt64(step)),
                  function: functions.name("bp_mlp_set_optimizer_state"))
    }

    /// The L2 penalty, clipping and dropout of the training steps from now
    /// on (`bp_mlp_set_regularization`, `bp_mlp_set_dropout`): dropout with
    /// the masks of stream `dropoutSeed` from its step `dropoutStep` on; all
    /// off for ``Regularization/none``.
    func setRegularization(_ regularization: Regularization, dropoutSeed: UInt64, dropoutStep: UInt64) throws {
        var r = bp_regularization(l2: regularization.l2, max_grad_norm: regularization.maximumGradientNorm ?? 0)
        try check(functions.setRegularization(mlp, &r), function: functions.name("bp_mlp_set_regularization"))
        let rates = regularization.hasDropout ? regularization.dropout : []
        try rates.withUnsafeBufferPointer {
            try check(functions.setDropout(mlp, rates.isEmpty ? nil : $0.baseAddress, $0.count, dropoutSeed),
                      function: functions.name("bp_mlp_set_dropout"))
        }
        try check(functions.setDropoutStep(mlp, dropoutStep), function: functions.name("bp_mlp_set_dropout_step"))
    }

    /// The dropout masks' step counter: the masks the next step draws.
    var dropoutStep: UInt64 {
        get throws {
            var step: UInt64 = 0
            try check(functions.getDropoutStep(mlp, &step), function: functions.name("bp_mlp_get_dropout_step"))
            return step
        }
    }

    /// Sets the dropout masks' step counter.
    func setDropoutStep(_ step: UInt64) throws {
        try check(functions.setDropoutStep(mlp, step), function: functions.name("bp_mlp_set_dropout_step"))
    }

    /// Minimises the full-batch objective over `count` rows (which may
    /// exceed ``capacity``: the C call evaluates them in chunks) from
    /// `parameters`, which receive the final point on `BP_OK`. Returns the
    /// status unchecked, with the report: `BP_ERR_NOT_FINITE` and
    /// `BP_ERR_GSL` are failures of the minimisation, which the caller
    /// turns into errors of their own.
    func minimize(parameters: UnsafeMutablePointer<Scalar>, x: UnsafePointer<Scalar>, ldx: Int,
                  targets: TargetPointer<Scalar>, count: Int,
                  options: bp_minimize_options) -> (status: bp_status, report: bp_minimize_report) {
        var options = options
        var report = bp_minimize_report()
        let status = functions.minimize(mlp, parameters, x, ldx, targets.values, targets.labels, count,
                                        &options, &report)
        return (status, report)
    }

    /// Pre-activations `Z_l` of `layer` from the last forward pass (`rows × units`).
    func preactivations(layer: Int) throws -> UnsafePointer<Scalar> {
        var z: UnsafePointer<Scalar>?
        try check(functions.preactivations(mlp, layer, &z), function: functions.name("bp_mlp_preactivations"))
        return z!
    }

    /// Activations `A_l = f_l(Z_l)` of `layer` from the last forward pass (`rows × units`).
    func activations(layer: Int) throws -> UnsafePointer<Scalar> {
        var a: UnsafePointer<Scalar>?
        try check(functions.activations(mlp, layer, &a), function: functions.name("bp_mlp_activations"))
        return a!
    }

    /// `dL/dZ_l` of `layer` from the last `gradient` with a gradient output,
    /// or `backward` (`rows × units`).
    func deltas(layer: Int) throws -> UnsafePointer<Scalar> {
        var dz: UnsafePointer<Scalar>?
        try check(functions.deltas(mlp, layer, &dz), function: functions.name("bp_mlp_deltas"))
        return dz!
    }
}

/// Targets as the C engine takes them: dense values or labels (one is nil).
struct TargetPointer<Scalar> {
    var values: UnsafePointer<Scalar>?
    var labels: UnsafePointer<Int>?

    /// The targets from row `start` on (`width` values per row when dense).
    func rows(from start: Int, width: Int) -> TargetPointer {
        TargetPointer(values: values.map { $0 + start * width }, labels: labels.map { $0 + start })
    }
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
