import Backprop

/// A tiny deterministic generator for test data (SplitMix64), independent of
/// the library's own GSL generator so that test inputs do not depend on the
/// code under test.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func matrix(_ rows: Int, _ cols: Int, _ value: (inout TestRandom) -> Double) -> Matrix<Double> {
        var e = [Double]()
        for _ in 0..<(rows * cols) { e.append(value(&self)) }
        return try! Matrix(rows: rows, cols: cols, elements: e)
    }
}

import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }

/// `|a − b| ≤ rel · max(|a|, |b|)`.
func close(_ a: Double, _ b: Double, rel: Double) -> Bool {
    abs(a - b) <= rel * max(abs(a), abs(b))
}
