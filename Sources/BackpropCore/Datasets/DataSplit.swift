/// Seeded random splits of a data set into training and validation parts.
public enum DataSplit {
    /// The row indices `0..<count` shuffled by a seeded generator and cut in
    /// two: the last `round(count · fraction)` (at least 1) go to validation,
    /// the rest (at least 1) to training. The same seed gives the same split.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``
    ///   unless `0 < fraction < 1` and both parts can be non-empty.
    public static func indices(count: Int, validationFraction fraction: Double,
                               seed: UInt64) throws -> (training: [Int], validation: [Int]) {
        guard fraction.isFinite, fraction > 0, fraction < 1 else {
            throw BackpropError.invalidHyperparameter(name: "validation fraction", value: "\(fraction)",
                                                      expected: "between 0 and 1 (exclusive)")
        }
        guard count >= 2 else {
            throw BackpropError.invalidHyperparameter(name: "samples to split", value: "\(count)",
                                                      expected: "at least 2")
        }
        let held = Swift.min(Swift.max(Int((Double(count) * fraction).rounded()), 1), count - 1)
        var order = Array(0..<count)
        try RandomSource(seed: seed).shuffle(&order)
        return (Array(order[..<(count - held)]), Array(order[(count - held)...]))
    }
}

extension Dataset {
    /// Splits the samples into training and validation sets (see
    /// ``DataSplit/indices(count:validationFraction:seed:)``).
    public func split(validationFraction: Double, seed: UInt64) throws -> (training: Dataset, validation: Dataset) {
        let (a, b) = try DataSplit.indices(count: count, validationFraction: validationFraction, seed: seed)
        return (rows(at: a), rows(at: b))
    }
}
