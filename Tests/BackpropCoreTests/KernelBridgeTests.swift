import BackpropTestSupport
import Testing
import CKernels
@testable import BackpropCore

@Suite("C kernels through the Backprop module")
struct KernelBridgeTests {
    @Test func gemmMatchesHandComputedProduct() throws {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Double] = [1, 2, 3, 4], b: [Double] = [5, 6, 7, 8]
        var c = [Double](repeating: .nan, count: 4)
        try check(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2), "bp_dgemm")
        #expect(c == [19, 22, 43, 50])
    }

    @Test func badArgumentBecomesTypedError() {
        var c = [Double](repeating: 0, count: 4)
        // ldc = 1 is smaller than the row length 2.
        let error = #expect(throws: BackpropError.self) {
            try check(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 2, 0, 1, nil, 1, nil, 2, 0, &c, 1), "bp_dgemm")
        }
        guard case let .kernel(kernelError) = error else {
            Issue.record("expected a kernel error, got \(String(describing: error))")
            return
        }
        #expect(kernelError.code == BP_ERR_LEADING_DIMENSION.rawValue)
        #expect(kernelError.description == "bp_dgemm failed: leading dimension smaller than the row length")
    }
}
