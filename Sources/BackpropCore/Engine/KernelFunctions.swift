import CKernels

/// One precision's entry points into the C kernels: the `bp_mlp_*`,
/// `bp_?gemm`, `bp_find_nonfinite*` and `bp_sgd_update*` functions of
/// `Double` (no suffix, `bp_dgemm`) or of `Float` (`_f32`, `bp_sgemm`),
/// typed on the scalar itself.
///
/// Generic code reaches the kernels of its `Scalar` through the
/// ``NetworkScalar/kernelFunctions`` requirement, so the choice of
/// precision is made once, by the conformance, instead of by run-time type
/// tests at every call. Its members are the library's own; outside it the
/// type only names what a conformance must provide, and since its
/// initializer is not public, only `Double` and `Float` can conform.
public struct KernelFunctions<Scalar: NetworkScalar>: Sendable {
    /// `bp_mlp_workspace_bytes`: the scratch bytes of an engine.
    package let workspaceBytes: @Sendable (
        _ layerCount: Int, _ layers: UnsafePointer<bp_layer_spec>?, _ loss: bp_loss, _ maxRows: Int,
        _ bytes: UnsafeMutablePointer<Int>?) -> bp_status
    /// `bp_mlp_create`: an engine for `maxRows` rows (`*out`, freed by `free`).
    package let create: @Sendable (
        _ layerCount: Int, _ layers: UnsafePointer<bp_layer_spec>?, _ loss: bp_loss, _ maxRows: Int,
        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> bp_status
    /// `bp_mlp_set_exec`: the GEMM context (threads, kernel set) of an engine.
    package let setExec: @Sendable (_ mlp: OpaquePointer?, _ exec: OpaquePointer?) -> bp_status
    /// `bp_mlp_free`.
    package let free: @Sendable (_ mlp: OpaquePointer?) -> Void
    /// `bp_mlp_preactivations`: `Z_l` of the last pass (rows × n_out).
    package let preactivations: @Sendable (
        _ mlp: OpaquePointer?, _ layer: Int, _ z: UnsafeMutablePointer<UnsafePointer<Scalar>?>?) -> bp_status
    /// `bp_mlp_activations`: `A_l = f_l(Z_l)` of the last pass (rows × n_out).
    package let activations: @Sendable (
        _ mlp: OpaquePointer?, _ layer: Int, _ a: UnsafeMutablePointer<UnsafePointer<Scalar>?>?) -> bp_status
    /// `bp_mlp_deltas`: `dL/dZ_l` of the last backward pass (rows × n_out).
    package let deltas: @Sendable (
        _ mlp: OpaquePointer?, _ layer: Int, _ dz: UnsafeMutablePointer<UnsafePointer<Scalar>?>?) -> bp_status
    /// `bp_mlp_forward`: outputs of a batch.
    package let forward: @Sendable (
        _ mlp: OpaquePointer?, _ parameters: UnsafePointer<Scalar>?, _ rows: Int, _ x: UnsafePointer<Scalar>?,
        _ ldx: Int, _ out: UnsafeMutablePointer<Scalar>?) -> bp_status
    /// `bp_mlp_gradient`: mean loss, and its gradient when `grad`/`dx` are given.
    package let gradient: @Sendable (
        _ mlp: OpaquePointer?, _ parameters: UnsafePointer<Scalar>?, _ rows: Int, _ x: UnsafePointer<Scalar>?,
        _ ldx: Int, _ y: UnsafePointer<Scalar>?, _ labels: UnsafePointer<Int>?,
        _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Scalar>?,
        _ dx: UnsafeMutablePointer<Scalar>?) -> bp_status
    /// `bp_mlp_backward`: backpropagation of a caller's `dL/dA_L`.
    package let backward: @Sendable (
        _ mlp: OpaquePointer?, _ parameters: UnsafePointer<Scalar>?, _ rows: Int, _ x: UnsafePointer<Scalar>?,
        _ ldx: Int, _ outputGradient: UnsafePointer<Scalar>?, _ grad: UnsafeMutablePointer<Scalar>?,
        _ dx: UnsafeMutablePointer<Scalar>?) -> bp_status
    /// `bp_mlp_train_epochs`: epochs of SGD steps in one call.
    package let trainEpochs: @Sendable (
        _ mlp: OpaquePointer?, _ parameters: UnsafeMutablePointer<Scalar>?, _ x: UnsafePointer<Scalar>?,
        _ ldx: Int, _ y: UnsafePointer<Scalar>?, _ labels: UnsafePointer<Int>?, _ orders: UnsafePointer<Int>?,
        _ count: Int, _ batch: Int, _ epochs: Int, _ learningRate: Double,
        _ losses: UnsafeMutablePointer<Double>?, _ snapshot: UnsafeMutablePointer<Scalar>?,
        _ completed: UnsafeMutablePointer<Int>?, _ diverged: UnsafeMutablePointer<Int32>?) -> bp_status
    /// `bp_mlp_set_optimizer`: the engine's update rule (its state reset).
    package let setOptimizer: @Sendable (_ mlp: OpaquePointer?, _ optimizer: UnsafePointer<bp_optimizer>?) -> bp_status
    /// `bp_mlp_optimizer_state_size`: state values of the engine's optimiser.
    package let optimizerStateSize: @Sendable (_ mlp: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> bp_status
    /// `bp_mlp_get_optimizer_state`: the optimiser's state and step count.
    package let getOptimizerState: @Sendable (
        _ mlp: OpaquePointer?, _ state: UnsafeMutablePointer<Scalar>?, _ count: Int,
        _ step: UnsafeMutablePointer<UInt64>?) -> bp_status
    /// `bp_mlp_set_optimizer_state`: replaces the optimiser's state and step count.
    package let setOptimizerState: @Sendable (
        _ mlp: OpaquePointer?, _ state: UnsafePointer<Scalar>?, _ count: Int, _ step: UInt64) -> bp_status
    /// `bp_mlp_set_regularization`: the L2 penalty and gradient clipping of training steps.
    package let setRegularization: @Sendable (
        _ mlp: OpaquePointer?, _ regularization: UnsafePointer<bp_regularization>?) -> bp_status
    /// `bp_mlp_set_dropout`: the hidden layers' dropout rates (`nil`: off) and the masks' seed.
    package let setDropout: @Sendable (
        _ mlp: OpaquePointer?, _ rates: UnsafePointer<Double>?, _ count: Int, _ seed: UInt64) -> bp_status
    /// `bp_mlp_get_dropout_step`: the masks' step counter.
    package let getDropoutStep: @Sendable (_ mlp: OpaquePointer?, _ step: UnsafeMutablePointer<UInt64>?) -> bp_status
    /// `bp_mlp_set_dropout_step`: sets the masks' step counter.
    package let setDropoutStep: @Sendable (_ mlp: OpaquePointer?, _ step: UInt64) -> bp_status
    /// `bp_mlp_minimize`: full-batch minimisation of the mean loss (plus an
    /// L2 penalty) by one of GSL's minimisers, over `count` rows.
    package let minimize: @Sendable (
        _ mlp: OpaquePointer?, _ parameters: UnsafeMutablePointer<Scalar>?, _ x: UnsafePointer<Scalar>?,
        _ ldx: Int, _ y: UnsafePointer<Scalar>?, _ labels: UnsafePointer<Int>?, _ count: Int,
        _ options: UnsafePointer<bp_minimize_options>?,
        _ report: UnsafeMutablePointer<bp_minimize_report>?) -> bp_status
    /// `bp_find_nonfinite`: the index of the first NaN or infinity (`n` if none).
    package let findNonFinite: @Sendable (
        _ count: Int, _ x: UnsafePointer<Scalar>?, _ index: UnsafeMutablePointer<Int>?) -> bp_status
    /// `bp_?gemm`: `C = α·op(A)·op(B) + β·C`, row-major.
    package let gemm: @Sendable (
        _ transA: bp_transpose, _ transB: bp_transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Scalar,
        _ a: UnsafePointer<Scalar>?, _ lda: Int, _ b: UnsafePointer<Scalar>?, _ ldb: Int, _ beta: Scalar,
        _ c: UnsafeMutablePointer<Scalar>?, _ ldc: Int) -> bp_status
    /// `bp_sgd_update`: `w ← w − rate·g` (the rate rounded to the scalar).
    package let sgdUpdate: @Sendable (
        _ count: Int, _ rate: Double, _ g: UnsafePointer<Scalar>?, _ w: UnsafeMutablePointer<Scalar>?) -> bp_status
    /// Appended to a `bp_mlp_*`, `bp_find_nonfinite` or `bp_sgd_update`
    /// name in error messages: `""` or `"_f32"`.
    package let suffix: String
    /// The GEMM's name in error messages: `"bp_dgemm"` or `"bp_sgemm"`.
    package let gemmName: String

    /// The C function behind `member`, named as in the headers, for
    /// ``KernelError/function``: `name("bp_mlp_forward")` is
    /// "bp_mlp_forward_f32" in single precision.
    package func name(_ base: String) -> String { base + suffix }
}

extension KernelFunctions where Scalar == Double {
    /// The double-precision kernels.
    static let double = KernelFunctions(
        workspaceBytes: { bp_mlp_workspace_bytes($0, $1, $2, $3, $4) },
        create: { bp_mlp_create($0, $1, $2, $3, $4) },
        setExec: { bp_mlp_set_exec($0, $1) },
        free: { bp_mlp_free($0) },
        preactivations: { bp_mlp_preactivations($0, $1, $2) },
        activations: { bp_mlp_activations($0, $1, $2) },
        deltas: { bp_mlp_deltas($0, $1, $2) },
        forward: { bp_mlp_forward($0, $1, $2, $3, $4, $5) },
        gradient: { bp_mlp_gradient($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) },
        backward: { bp_mlp_backward($0, $1, $2, $3, $4, $5, $6, $7) },
        trainEpochs: { bp_mlp_train_epochs($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) },
        setOptimizer: { bp_mlp_set_optimizer($0, $1) },
        optimizerStateSize: { bp_mlp_optimizer_state_size($0, $1) },
        getOptimizerState: { bp_mlp_get_optimizer_state($0, $1, $2, $3) },
        setOptimizerState: { bp_mlp_set_optimizer_state($0, $1, $2, $3) },
        setRegularization: { bp_mlp_set_regularization($0, $1) },
        setDropout: { bp_mlp_set_dropout($0, $1, $2, $3) },
        getDropoutStep: { bp_mlp_get_dropout_step($0, $1) },
        setDropoutStep: { bp_mlp_set_dropout_step($0, $1) },
        minimize: { bp_mlp_minimize($0, $1, $2, $3, $4, $5, $6, $7, $8) },
        findNonFinite: { bp_find_nonfinite($0, $1, $2) },
        gemm: { bp_dgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) },
        sgdUpdate: { bp_sgd_update($0, $1, $2, $3) },
        suffix: "", gemmName: "bp_dgemm")
}

extension KernelFunctions where Scalar == Float {
    /// The single-precision kernels (losses still accumulate in double).
    static let float = KernelFunctions(
        workspaceBytes: { bp_mlp_workspace_bytes_f32($0, $1, $2, $3, $4) },
        create: { bp_mlp_create_f32($0, $1, $2, $3, $4) },
        setExec: { bp_mlp_set_exec_f32($0, $1) },
        free: { bp_mlp_free_f32($0) },
        preactivations: { bp_mlp_preactivations_f32($0, $1, $2) },
        activations: { bp_mlp_activations_f32($0, $1, $2) },
        deltas: { bp_mlp_deltas_f32($0, $1, $2) },
        forward: { bp_mlp_forward_f32($0, $1, $2, $3, $4, $5) },
        gradient: { bp_mlp_gradient_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) },
        backward: { bp_mlp_backward_f32($0, $1, $2, $3, $4, $5, $6, $7) },
        trainEpochs: { bp_mlp_train_epochs_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) },
        setOptimizer: { bp_mlp_set_optimizer_f32($0, $1) },
        optimizerStateSize: { bp_mlp_optimizer_state_size_f32($0, $1) },
        getOptimizerState: { bp_mlp_get_optimizer_state_f32($0, $1, $2, $3) },
        setOptimizerState: { bp_mlp_set_optimizer_state_f32($0, $1, $2, $3) },
        setRegularization: { bp_mlp_set_regularization_f32($0, $1) },
        setDropout: { bp_mlp_set_dropout_f32($0, $1, $2, $3) },
        getDropoutStep: { bp_mlp_get_dropout_step_f32($0, $1) },
        setDropoutStep: { bp_mlp_set_dropout_step_f32($0, $1) },
        minimize: { bp_mlp_minimize_f32($0, $1, $2, $3, $4, $5, $6, $7, $8) },
        findNonFinite: { bp_find_nonfinite_f32($0, $1, $2) },
        gemm: { bp_sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) },
        sgdUpdate: { bp_sgd_update_f32($0, Float($1), $2, $3) },
        suffix: "_f32", gemmName: "bp_sgemm")
}
