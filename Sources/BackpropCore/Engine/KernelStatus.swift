import CKernels

/// A failure reported by the C kernels (`bp_status` other than `BP_OK`).
///
/// The Swift API validates its inputs before calling a kernel, so seeing one
/// of these means resource exhaustion or an internal bug; it is surfaced as
/// ``BackpropError/kernel(_:)`` rather than a crash.
public struct KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The raw `bp_status` code.
    public let code: UInt32
    /// The kernel that failed, e.g. `"bp_dgemm"`.
    public let function: String

    /// The kernel's description of the status (from `bp_status_string`).
    public var description: String {
        "\(function) failed: \(String(cString: bp_status_string(bp_status(rawValue: code))))"
    }
}

/// Throws ``BackpropError/kernel(_:)`` unless `status` is `BP_OK`.
@inline(__always)
func check(_ status: bp_status, _ function: StaticString) throws(BackpropError) {
    if status != BP_OK {
        throw .kernel(KernelError(code: status.rawValue, function: "\(function)"))
    }
}
