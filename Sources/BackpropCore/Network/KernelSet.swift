import CKernels

/// The code a network's computations run on: the fast kernels picked for
/// the CPU, the portable C ones, or the plain reference engine.
///
/// A run-time choice (``Network/kernels``), never saved with a model. Every
/// set computes the same forward pass `Z_l = A_{l−1}·W_l + b_l`,
/// `A_l = f_l(Z_l)`, loss and backpropagation; they differ only in
/// rounding (summation order, fused multiply-adds), within a few hundred
/// units of roundoff per layer. Switch to ``reference`` when a result looks
/// wrong and a kernel is suspected: if the reference agrees, the kernels
/// are exonerated; if not, the difference is the bug report.
///
/// ```swift
/// var net = try Network(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .sigmoid)],
///                       loss: .binaryCrossEntropy)
/// net.kernels = .reference        // plain loops, one thread
/// let check = try net.predict(x)
/// net.kernels = .automatic
/// ```
public enum KernelSet: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The fastest kernels the CPU runs (AVX-512, AVX2+FMA or portable C),
    /// with the network's ``Network/threads``. The default.
    case automatic
    /// The portable C kernels on every CPU: the same blocked algorithms
    /// without SIMD intrinsics or fused multiply-adds.
    case portable
    /// The reference engine: the whole network in plain loops over the
    /// textbook equations, in the network's precision, on one thread
    /// whatever ``Network/threads`` says. Much slower; for checking
    /// results, not for training at scale.
    case reference

    /// The flags of the C execution context (`bp_exec_flags`) for this set.
    var execFlags: UInt32 {
        switch self {
        case .automatic: return BP_EXEC_DEFAULT.rawValue
        case .portable: return BP_EXEC_PORTABLE.rawValue
        case .reference: return BP_EXEC_REFERENCE.rawValue
        }
    }

    /// The case's name: `automatic`, `portable` or `reference`.
    public var description: String { rawValue }
}

extension Network {
    /// The name of the code an engine of this network runs
    /// (`bp_exec_kernel_name`): "reference" for ``KernelSet/reference``.
    func engineKernelName() throws -> String {
        try engines.withEngine(for: self, capacity: 1) { $0.kernelName }
    }
}
