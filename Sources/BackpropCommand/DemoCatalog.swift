import ArgumentParser
import Backprop

/// The built-in data sets of `backprop demo` and `backprop gradcheck --dataset`.
enum DemoDataset: String, ExpressibleByArgument, CaseIterable {
    case circles, moons, spiral, blobs, xor
    case halfAdder = "half-adder"
}

/// A demo: data, a network that learns it, and how to train it.
struct DemoSpec {
    /// One line about the data.
    var summary: String
    var train: Dataset<Double>
    /// Held-out data (the training data itself for the 4-point tables).
    var test: Dataset<Double>
    /// Whether `test` is separate from `train`.
    var hasTestSet: Bool
    /// Class names for labels, or for the half adder the output names.
    var classNames: [String]
    var layers: [LayerSpecification]
    var loss: Loss
    var epochs: Int
    var learningRate: Double
    var batchSize: Int?
    var seed: UInt64

    /// The demo for a data set. Every configuration here reaches ≥ 95%
    /// test accuracy with its seed (checked by the command-line tests).
    static func make(_ dataset: DemoDataset) throws -> DemoSpec {
        switch dataset {
        case .circles:
            return DemoSpec(
                summary: "two concentric circles (scikit-learn's make_circles, noise 0.1, factor 0.5)",
                train: try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1),
                test: try Dataset.circles(samples: 500, noise: 0.1, factor: 0.5, seed: 2), hasTestSet: true,
                classNames: ["outer", "inner"],
                layers: [.dense(16, .relu), .dense(16, .relu), .dense(1, .sigmoid)], loss: .binaryCrossEntropy,
                epochs: 200, learningRate: 0.1, batchSize: 32, seed: 7)
        case .moons:
            return DemoSpec(
                summary: "two interleaving half circles (scikit-learn's make_moons, noise 0.15)",
                train: try Dataset.moons(samples: 1000, noise: 0.15, seed: 1),
                test: try Dataset.moons(samples: 500, noise: 0.15, seed: 2), hasTestSet: true,
                classNames: ["upper", "lower"],
                layers: [.dense(16, .relu), .dense(16, .relu), .dense(1, .sigmoid)], loss: .binaryCrossEntropy,
                epochs: 200, learningRate: 0.1, batchSize: 32, seed: 7)
        case .spiral:
            return DemoSpec(
                summary: "three interleaved spirals (\"Neural Networks from Scratch\"'s spiral_data), 300 points per class",
                train: try Dataset.spiral(pointsPerClass: 300, classes: 3, seed: 1),
                test: try Dataset.spiral(pointsPerClass: 100, classes: 3, seed: 2), hasTestSet: true,
                classNames: ["A", "B", "C"],
                layers: [.dense(64, .relu), .dense(32, .relu), .dense(3, .softmax)], loss: .categoricalCrossEntropy,
                epochs: 800, learningRate: 0.1, batchSize: 32, seed: 7)
        case .blobs:
            return DemoSpec(
                summary: "three Gaussian blobs around (0, −2), (2, 2), (−2, 2), standard deviation 1",
                train: try Dataset.blobs(samplesPerClass: 300, seed: 1),
                test: try Dataset.blobs(samplesPerClass: 100, seed: 2), hasTestSet: true,
                classNames: ["south", "north-east", "north-west"],
                layers: [.dense(8, .relu), .dense(3, .softmax)], loss: .categoricalCrossEntropy,
                epochs: 40, learningRate: 0.1, batchSize: 32, seed: 7)
        case .xor:
            let data = Dataset.xor()
            return DemoSpec(
                summary: "XOR: the four points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0",
                train: data, test: data, hasTestSet: false, classNames: ["0", "1"],
                layers: [.dense(4, .tanh), .dense(1, .sigmoid)], loss: .binaryCrossEntropy,
                epochs: 1000, learningRate: 0.5, batchSize: nil, seed: 7)
        case .halfAdder:
            let data = Dataset.halfAdder()
            return DemoSpec(
                summary: "the half adder: (a, b) → (sum, carry) = (a XOR b, a AND b)",
                train: data, test: data, hasTestSet: false, classNames: ["sum", "carry"],
                layers: [.dense(4, .tanh), .dense(2, .sigmoid)], loss: .binaryCrossEntropy,
                epochs: 2000, learningRate: 0.5, batchSize: nil, seed: 7)
        }
    }

    /// Whether each sample has several independent 0/1 outputs (the half
    /// adder) rather than one class.
    var isMultiOutput: Bool { train.labels == nil }

    /// Accuracy: the fraction of samples whose predicted class (or, for
    /// several outputs, every output rounded at 0.5) is right.
    static func accuracy(_ network: Network<Double>, on data: Dataset<Double>) throws -> Double {
        switch data.targets {
        case .labels:
            return try network.accuracy(on: data)
        case let .values(targets):
            let p = try network.predict(data.inputs)
            var hits = 0
            for i in 0..<p.rows where (0..<p.columns).allSatisfy({ (p[i, $0] >= 0.5 ? 1.0 : 0.0) == targets[i, $0] }) {
                hits += 1
            }
            return Double(hits) / Double(p.rows)
        }
    }
}
