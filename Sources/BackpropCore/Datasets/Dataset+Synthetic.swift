import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small seeded data sets for examples, tests and demos. Each returns inputs
/// (`n × 2` unless stated) with integer class labels; the same seed always
/// gives the same data. Randomness comes from a GSL generator of its own, so
/// making data never disturbs a network's generator.
///
/// ```swift
/// let train = try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1)
/// ```
extension Dataset where Scalar == Double {
    /// Two concentric circles, as scikit-learn's `make_circles`: `n / 2`
    /// (rounded down) points evenly spaced on the outer unit circle (label 0)
    /// and the rest on an inner circle of radius `factor` (label 1), with
    /// Gaussian noise of standard deviation `noise` added to each coordinate,
    /// then shuffled.
    public static func circles(samples n: Int, noise: Double = 0.1, factor: Double = 0.5,
                               seed: UInt64 = 0) throws -> Dataset<Double> {
        try requireSamples(n, atLeast: 2)
        guard factor > 0, factor < 1 else {
            throw BackpropError.invalidHyperparameter(name: "factor", value: "\(factor)", expected: "in (0, 1)")
        }
        try requireNoise(noise)
        let outer = n / 2, inner = n - outer
        var points: [(Double, Double, Int)] = []
        for i in 0..<outer {
            let t = 2 * Double.pi * Double(i) / Double(outer)
            points.append((cos(t), sin(t), 0))
        }
        for i in 0..<inner {
            let t = 2 * Double.pi * Double(i) / Double(inner)
            points.append((factor * cos(t), factor * sin(t), 1))
        }
        return try finish(points, noise: noise, seed: seed)
    }

    /// Two interleaving half circles, as scikit-learn's `make_moons`: the
    /// upper moon (label 0) is `(cos t, sin t)`, the lower (label 1)
    /// `(1 − cos t, 0.5 − sin t)`, `t` evenly spaced in [0, π]; plus noise,
    /// shuffled.
    public static func moons(samples n: Int, noise: Double = 0.1, seed: UInt64 = 0) throws -> Dataset<Double> {
        try requireSamples(n, atLeast: 2)
        try requireNoise(noise)
        let upper = n / 2, lower = n - upper
        var points: [(Double, Double, Int)] = []
        for i in 0..<upper {
            let t = Double.pi * Double(i) / Double(Swift.max(upper - 1, 1))
            points.append((cos(t), sin(t), 0))
        }
        for i in 0..<lower {
            let t = Double.pi * Double(i) / Double(Swift.max(lower - 1, 1))
            points.append((1 - cos(t), 0.5 - sin(t), 1))
        }
        return try finish(points, noise: noise, seed: seed)
    }

    /// Interleaved spirals, as in "Neural Networks from Scratch" (`nnfs`'s
    /// `spiral_data`): `pointsPerClass` points per class, class `c` along
    /// radius `r ∈ [0, 1]` at angle `4c + 4r` plus N(0, 0.2²) angular noise.
    public static func spiral(pointsPerClass: Int, classes: Int = 3, seed: UInt64 = 0) throws -> Dataset<Double> {
        try requireSamples(pointsPerClass, atLeast: 1)
        guard classes >= 2 else {
            throw BackpropError.invalidHyperparameter(name: "classes", value: "\(classes)", expected: "≥ 2")
        }
        let (total, overflow) = pointsPerClass.multipliedReportingOverflow(by: classes)
        try requireMemory(points: overflow ? Int.max : total)
        let random = try RandomSource(seed: seed)
        var points: [(Double, Double, Int)] = []
        for c in 0..<classes {
            let noise = try random.normals(pointsPerClass, standardDeviation: 0.2)
            for i in 0..<pointsPerClass {
                let r = pointsPerClass == 1 ? 0 : Double(i) / Double(pointsPerClass - 1)
                let t = Double(c) * 4 + r * 4 + noise[i]
                points.append((r * sin(t * 2.5), r * cos(t * 2.5), c))
            }
        }
        return try finish(points, noise: 0, seed: seed, random: random)
    }

    /// Isotropic Gaussian blobs: `samplesPerClass` points around each center
    /// with standard deviation `standardDeviation`. The default centers are seed 05's:
    /// (0, −2), (2, 2) and (−2, 2).
    public static func blobs(samplesPerClass: Int, centers: [(Double, Double)] = [(0, -2), (2, 2), (-2, 2)],
                             standardDeviation: Double = 1, seed: UInt64 = 0) throws -> Dataset<Double> {
        try requireSamples(samplesPerClass, atLeast: 1)
        guard centers.count >= 2 else {
            throw BackpropError.invalidHyperparameter(name: "centers", value: "\(centers.count)", expected: "≥ 2 centers")
        }
        try requireNoise(standardDeviation)
        let random = try RandomSource(seed: seed)
        var points: [(Double, Double, Int)] = []
        for (c, center) in centers.enumerated() {
            let offsets = try random.normals(2 * samplesPerClass, standardDeviation: standardDeviation)
            for i in 0..<samplesPerClass {
                points.append((center.0 + offsets[2 * i], center.1 + offsets[2 * i + 1], c))
            }
        }
        return try finish(points, noise: 0, seed: seed, random: random)
    }

    /// The four XOR points `(0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0`.
    public static func xor() -> Dataset<Double> {
        Dataset(inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], labels: [0, 1, 1, 0])
    }

    /// Seed 03's half adder: inputs `(a, b)`, targets `(sum, carry)` =
    /// `(a XOR b, a AND b)`, as a 4 × 2 target matrix.
    public static func halfAdder() -> Dataset<Double> {
        Dataset(inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0, 0], [1, 0], [1, 0], [0, 1]])
    }

    // MARK: - Helpers

    private static func requireSamples(_ n: Int, atLeast minimum: Int) throws {
        guard n >= minimum, n <= 100_000_000 else {
            throw BackpropError.invalidHyperparameter(name: "samples", value: "\(n)",
                                                      expected: "between \(minimum) and 10^8")
        }
        try requireMemory(points: n)
    }

    /// Each point costs its coordinates, its label and the working copies
    /// made while drawing it: 64 bytes is a generous bound.
    private static func requireMemory(points: Int) throws {
        try MemoryBudget.system.require(MemoryBudget.bytes(count: points, size: 64), for: "\(points) data points")
    }

    private static func requireNoise(_ noise: Double) throws {
        guard noise.isFinite, noise >= 0 else {
            throw BackpropError.invalidHyperparameter(name: "noise", value: "\(noise)", expected: "finite and ≥ 0")
        }
    }

    /// Adds N(0, noise²) to every coordinate, shuffles, and packs.
    private static func finish(_ points: [(Double, Double, Int)], noise: Double, seed: UInt64,
                               random: RandomSource? = nil) throws -> Dataset<Double> {
        let random = try random ?? RandomSource(seed: seed)
        let jitter = noise > 0 ? try random.normals(2 * points.count, standardDeviation: noise) : []
        var order = Array(points.indices)
        try random.shuffle(&order)
        var x = [Double](), labels = [Int]()
        x.reserveCapacity(2 * points.count)
        for i in order {
            let p = points[i]
            x.append(p.0 + (noise > 0 ? jitter[2 * i] : 0))
            x.append(p.1 + (noise > 0 ? jitter[2 * i + 1] : 0))
            labels.append(p.2)
        }
        return Dataset(inputs: Matrix(uncheckedRows: points.count, columns: 2, elements: x), labels: labels)
    }
}
