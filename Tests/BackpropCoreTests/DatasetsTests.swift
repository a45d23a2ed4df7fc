import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// The built-in data sets against their published definitions
/// (scikit-learn's make_circles and make_moons, nnfs's spiral_data).
@Suite("Data sets")
struct DatasetsTests {
    func points(_ d: Dataset<Double>, label: Int) -> [(Double, Double)] {
        (0..<d.count).filter { d.labels![$0] == label }.map { (d.inputs[$0, 0], d.inputs[$0, 1]) }
    }

    @Test func circlesWithoutNoiseLieOnTheTwoCircles() throws {
        let d = try Dataset.circles(samples: 101, noise: 0, factor: 0.3, seed: 5)
        let outer = points(d, label: 0), inner = points(d, label: 1)
        #expect(outer.count == 50 && inner.count == 51)   // n // 2 outer, the rest inner
        #expect(outer.allSatisfy { abs(hypot($0.0, $0.1) - 1) < 1e-12 })
        #expect(inner.allSatisfy { abs(hypot($0.0, $0.1) - 0.3) < 1e-12 })
        // Evenly spaced angles 2πi/50 starting at 0 (endpoint excluded).
        let angles = outer.map { atan2($0.1, $0.0) < -1e-12 ? atan2($0.1, $0.0) + 2 * .pi : atan2($0.1, $0.0) }.sorted()
        for (i, a) in angles.enumerated() { #expect(abs(a - 2 * .pi * Double(i) / 50) < 1e-9) }
    }

    @Test func moonsWithoutNoiseLieOnTheTwoHalfCircles() throws {
        let d = try Dataset.moons(samples: 40, noise: 0, seed: 5)
        let upper = points(d, label: 0), lower = points(d, label: 1)
        #expect(upper.count == 20 && lower.count == 20)
        #expect(upper.allSatisfy { abs(hypot($0.0, $0.1) - 1) < 1e-12 && $0.1 >= -1e-12 })
        #expect(lower.allSatisfy { abs(hypot(1 - $0.0, 0.5 - $0.1) - 1) < 1e-12 && $0.1 <= 0.5 + 1e-12 })
        // The ends of linspace(0, π): (1, 0) and (−1, 0) for the upper moon, (0, 0.5) and (2, 0.5) for the lower.
        for end in [(1.0, 0.0), (-1.0, 0.0)] { #expect(upper.contains { abs($0.0 - end.0) < 1e-12 && abs($0.1 - end.1) < 1e-12 }) }
        for end in [(0.0, 0.5), (2.0, 0.5)] { #expect(lower.contains { abs($0.0 - end.0) < 1e-12 && abs($0.1 - end.1) < 1e-12 }) }
    }

    @Test func noiseIsGaussianWithTheGivenDeviation() throws {
        let d = try Dataset.circles(samples: 4000, noise: 0.05, factor: 0.5, seed: 8)
        // Radial deviations from the true circle: ≈ N(0, 0.05²).
        var deviations: [Double] = []
        for i in 0..<d.count {
            let r = d.labels![i] == 0 ? 1.0 : 0.5
            deviations.append(hypot(d.inputs[i, 0], d.inputs[i, 1]) - r)
        }
        let mean = deviations.reduce(0, +) / Double(deviations.count)
        let std = (deviations.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deviations.count)).squareRoot()
        #expect(abs(mean) < 0.005)
        #expect(abs(std - 0.05) < 0.005)
    }

    @Test func spiralFollowsSpiralData() throws {
        let n = 300
        let d = try Dataset.spiral(pointsPerClass: n, classes: 3, seed: 2)
        for c in 0..<3 {
            let p = points(d, label: c)
            #expect(p.count == n)
            // Radii are linspace(0, 1, n).
            let radii = p.map { hypot($0.0, $0.1) }.sorted()
            for (i, r) in radii.enumerated() { #expect(abs(r - Double(i) / Double(n - 1)) < 1e-12) }
            // Angle atan2(x, y) = 2.5·t with t = 4c + 4r + N(0, 0.2²).
            var noise: [Double] = []
            for (x, y) in p where hypot(x, y) > 0 {
                let r = hypot(x, y)
                var delta = atan2(x, y) - 2.5 * (4 * Double(c) + 4 * r)
                delta = delta - 2 * .pi * (delta / (2 * .pi)).rounded()
                noise.append(delta / 2.5)
            }
            let mean = noise.reduce(0, +) / Double(noise.count)
            let std = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count)).squareRoot()
            #expect(abs(mean) < 0.05)
            #expect(abs(std - 0.2) < 0.04)
        }
    }

    @Test func blobsAreCenteredWithTheGivenDeviation() throws {
        let d = try Dataset.blobs(samplesPerClass: 2000, centers: [(3, -1), (-4, 5)], standardDeviation: 0.5, seed: 3)
        for (c, center) in [(3.0, -1.0), (-4.0, 5.0)].enumerated() {
            let p = points(d, label: c)
            #expect(p.count == 2000)
            let mx = p.map(\.0).reduce(0, +) / 2000, my = p.map(\.1).reduce(0, +) / 2000
            #expect(abs(mx - center.0) < 0.05 && abs(my - center.1) < 0.05)
            let sx = (p.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +) / 2000).squareRoot()
            #expect(abs(sx - 0.5) < 0.04)
        }
    }

    @Test func seedsReproduceAndDiffer() throws {
        #expect(try Dataset.moons(samples: 50, seed: 1) == Dataset.moons(samples: 50, seed: 1))
        #expect(try Dataset.moons(samples: 50, seed: 1) != Dataset.moons(samples: 50, seed: 2))
        #expect(try Dataset.spiral(pointsPerClass: 10, seed: 1) == Dataset.spiral(pointsPerClass: 10, seed: 1))
    }
}
