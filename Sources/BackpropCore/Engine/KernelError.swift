import CKernels

/// A failure reported by the C kernels (`bp_status` other than `BP_OK`).
///
/// The Swift API validates its inputs before calling a kernel, so seeing one
/// of these means resource exhaustion or an internal bug; it is surfaced as
/// ``BackpropError/kernel(_:)`` rather than a crash.
public struct KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The raw `bp_status` code (the C API's; tests compare it).
    package let code: UInt32
    /// The kernel that failed, e.g. `"bp_dgemm"`.
    public let function: String

    package init(code: UInt32, function: String) {
        self.code = code
        self.function = function
    }

    /// Why it failed, in the kernels' words (`bp_status_string`), e.g.
    /// "out of memory".
    public var reason: String { String(cString: bp_status_string(bp_status(rawValue: code))) }

    /// `"<function> failed: <reason>"`.
    public var description: String { "\(function) failed: \(reason)" }
}

/// Throws ``BackpropError/kernel(_:)`` unless `status` is `BP_OK`.
@inline(__always)
func check(_ status: bp_status, _ function: StaticString) throws(BackpropError) {
    if status != BP_OK {
        throw .kernel(KernelError(code: status.rawValue, function: "\(function)"))
    }
}

/// Throws ``BackpropError/kernel(_:)`` unless `status` is `BP_OK`; for the
/// functions named at run time (``KernelFunctions/name(_:)``), whose name
/// is formed only on failure.
@inline(__always)
func check(_ status: bp_status, function: @autoclosure () -> String) throws(BackpropError) {
    if status != BP_OK {
        throw .kernel(KernelError(code: status.rawValue, function: function()))
    }
}
