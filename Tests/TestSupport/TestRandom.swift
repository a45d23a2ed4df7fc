import BackpropCore
import Foundation

/// A tiny deterministic generator for test data (SplitMix64, Steele, Lea and
/// Flood 2014), independent of the library's own GSL generator so that test
/// inputs do not depend on the code under test.
public struct TestRandom: Sendable {
    /// The generator's whole state: it advances by the golden-ratio
    /// increment on every draw.
    public var state: UInt64

    /// A generator whose first draw mixes `seed + 0x9E3779B97F4A7C15`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits of a draw.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller): `√(−2 ln u₁) · cos(2π u₂)`.
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Uniform in `0..<n` (n ≥ 1; the modulo bias is below 2⁻⁵⁰ for the
    /// small `n` tests use).
    public mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A `rows × columns` matrix whose elements `value` draws, row by row.
    public mutating func matrix(_ rows: Int, _ columns: Int,
                                _ value: (inout TestRandom) -> Double) -> Matrix<Double> {
        var elements = [Double]()
        elements.reserveCapacity(rows * columns)
        for _ in 0..<(rows * columns) { elements.append(value(&self)) }
        return try! Matrix(rows: rows, columns: columns, elements: elements)
    }
}

/// `|a − b| ≤ rel · max(|a|, |b|)`.
public func close(_ a: Double, _ b: Double, rel: Double) -> Bool {
    abs(a - b) <= rel * max(abs(a), abs(b))
}
