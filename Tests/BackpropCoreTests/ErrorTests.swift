import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Every error the API promises, triggered.
@Suite("Errors")
struct ErrorTests {
    let x = try! Matrix([[0.0, 1], [1, 0]])
    let y = try! Matrix([[1.0], [0]])
    func net() throws -> Network<Double> {
        try Network(inputSize: 2, layers: [.dense(3, .tanh), .dense(1, .sigmoid)], loss: .binaryCrossEntropy)
    }

    @Test func construction() {
        #expect(throws: BackpropError.noLayers) { try Network(inputSize: 2, layers: [], loss: .meanSquaredError) }
        #expect(throws: BackpropError.zeroWidthLayer(index: 1)) {
            try Network(inputSize: 2, layers: [.dense(3, .relu), .dense(0, .relu)], loss: .meanSquaredError)
        }
        #expect(throws: BackpropError.self) { try Network(inputSize: 0, layers: [.dense(1, .identity)], loss: .meanSquaredError) }
        #expect(throws: BackpropError.self) { try Network(inputSize: 2, layers: [.dense(1, .relu)], loss: .binaryCrossEntropy) }
        #expect(throws: BackpropError.self) { try Network(inputSize: 2, layers: [.dense(1, .softmax)], loss: .categoricalCrossEntropy) }
        #expect(throws: BackpropError.self) { try Network(inputSize: 2, layers: [.dense(1, .sigmoid)], loss: .categoricalCrossEntropy) }
        #expect(throws: BackpropError.self) { try Network(inputSize: 2, layers: [.dense(3, .sigmoid)], loss: .categoricalCrossEntropy) }
        #expect(throws: BackpropError.self) { try Network(inputSize: 2, layers: [.dense(3, .softmax)], loss: .binaryCrossEntropy) }
        #expect(throws: BackpropError.self) {
            try Network(inputSize: 2, layers: [.dense(2, .leakyReLU(slope: .nan))], loss: .meanSquaredError)
        }
        #expect(throws: BackpropError.self) {
            try Network(inputSize: 2, layers: [.dense(2, .relu, initializer: .normal(standardDeviation: -1))], loss: .meanSquaredError)
        }
        #expect(throws: BackpropError.self) {
            try Network(inputSize: 2, layers: [.dense(2, .relu, initializer: .uniform(lowerBound: 1, upperBound: -1))], loss: .meanSquaredError)
        }
    }

    @Test func shapeMismatches() throws {
        var n = try net()
        #expect(throws: BackpropError.shapeMismatch(what: "inputs", expected: "n × 2", got: "1 × 3")) {
            try n.predict(Matrix([[1.0, 2, 3]]))
        }
        #expect(throws: BackpropError.self) { try n.loss(inputs: x, targets: Matrix([[1.0, 0], [0, 1]])) }
        #expect(throws: BackpropError.self) { try n.setWeights(Matrix([[1.0]]), layer: 0) }
        #expect(throws: BackpropError.self) { try n.setBias([1, 2], layer: 0) }
        #expect(throws: BackpropError.self) { try n.setBias([1, 2, 3], layer: 5) }
        let g = try n.gradients(inputs: x, targets: y)
        var wrong = g
        wrong.layers.removeLast()
        #expect(throws: BackpropError.self) { try n.apply(wrong, learningRate: 0.1) }
        let trace = try n.forward(x)
        #expect(throws: BackpropError.self) { try n.backward(trace, outputGradient: Matrix([[1.0]])) }
        #expect(throws: BackpropError.self) { try n.backward(trace, outputGradient: Matrix([[1.0, 2]])) }
    }

    @Test func nonFiniteData() throws {
        var n = try net()
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 1, column: 0)) {
            try n.predict(Matrix([[0.0, 1], [.nan, 0]]))
        }
        #expect(throws: BackpropError.nonFinite(what: "targets", row: 0, column: 0)) {
            try n.train(inputs: x, targets: Matrix([[Double.infinity], [0]]), epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.self) { try n.setWeights(Matrix([[1.0, .nan, 0], [0, 0, 0]]), layer: 0) }
        var g = try n.gradients(inputs: x, targets: y)
        g.layers[0].bias[0] = .nan
        #expect(throws: BackpropError.self) { try n.apply(g, learningRate: 0.1) }
        #expect(throws: BackpropError.self) { try n.train(inputs: x, targets: Matrix([[2.0], [0]]), epochs: 1, learningRate: 0.1) }
    }

    /// A dataset finds its first non-finite input when its inputs are set;
    /// changing them afterwards (in place or whole) must be seen by training.
    @Test func nonFiniteInputsOfADatasetChangedAfterwards() throws {
        var n = try net()
        var data = Dataset(inputs: x, targets: y)
        try n.train(on: data, epochs: 1, learningRate: 0.1)
        data.inputs[1, 1] = .infinity
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 1, column: 1)) {
            try n.train(on: data, epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 1, column: 1)) {
            try n.loss(on: data)
        }
        data.inputs[1, 1] = 0.5
        try n.train(on: data, epochs: 1, learningRate: 0.1)
        data.inputs = try Matrix([[.nan, 0], [0, 0]])
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 0, column: 0)) {
            try n.train(on: data, epochs: 1, learningRate: 0.1)
        }
        let converted: Dataset<Float> = data.converted()
        var f = try Network<Float>(inputSize: 2, layers: [.dense(3, .tanh), .dense(1, .sigmoid)],
                                   loss: .binaryCrossEntropy, seed: 1)
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 0, column: 0)) {
            try f.train(on: converted, epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 0, column: 0)) {
            try n.train(on: data.rows(at: [1, 0]).rows(at: [1]), epochs: 1, learningRate: 0.1)
        }
    }

    @Test func labelsAndCounts() throws {
        var n = try net()
        #expect(throws: BackpropError.labelOutOfRange(index: 1, label: 2, classes: 2)) {
            try n.train(inputs: x, labels: [0, 2], epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.labelOutOfRange(index: 0, label: -1, classes: 2)) {
            try n.accuracy(inputs: x, labels: [-1, 0])
        }
        #expect(throws: BackpropError.sampleCountMismatch(inputs: 2, targets: 3)) {
            try n.train(inputs: x, labels: [0, 1, 1], epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.emptyData(what: "inputs")) {
            try n.train(inputs: Matrix<Double>(rows: 0, columns: 2), labels: [], epochs: 1, learningRate: 0.1)
        }
        #expect(throws: BackpropError.emptyData(what: "validation inputs")) {
            try n.train(inputs: x, labels: [0, 1], epochs: 1, learningRate: 0.1,
                        validation: Dataset(inputs: Matrix<Double>(rows: 0, columns: 2), labels: []))
        }
    }

    @Test func hyperparameters() throws {
        var n = try net()
        let before = n.layers
        for rate in [0.0, -0.1, .nan, .infinity] {
            let error = #expect(throws: BackpropError.self) {
                try n.train(inputs: x, targets: y, epochs: 1, learningRate: rate)
            }
            guard case let .invalidLearningRate(reported) = error else {
                Issue.record("expected invalidLearningRate, got \(String(describing: error))")
                continue
            }
            #expect(reported == rate || (reported.isNaN && rate.isNaN))
        }
        #expect(throws: BackpropError.self) { try n.train(inputs: x, targets: y, epochs: 0, learningRate: 0.1) }
        #expect(throws: BackpropError.self) { try n.train(inputs: x, targets: y, epochs: 1, learningRate: 0.1, batchSize: 0) }
        #expect(throws: BackpropError.self) { try n.checkGradients(inputs: x, targets: y, epsilon: 0) }
        #expect(throws: BackpropError.self) { try n.checkGradients(inputs: x, targets: y, maxParameters: 0) }
        #expect(n.layers == before, "a rejected call changes nothing")
        let foreign = try Network(inputSize: 2, layers: [.dense(3, .tanh), .dense(1, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 9).forward(x)
        #expect(throws: BackpropError.parametersChangedSinceForward) { try n.backward(foreign, outputGradient: y) }
    }

    @Test func messagesSayWhatWasExpected() {
        let e = BackpropError.shapeMismatch(what: "inputs", expected: "n × 2", got: "5 × 3")
        #expect(e.description == "shape mismatch for inputs: expected n × 2, got 5 × 3")
        #expect(BackpropError.invalidLearningRate(-1).description.contains("> 0"))
        #expect(BackpropError.labelOutOfRange(index: 3, label: 7, classes: 3).description.contains("0..<3"))
        #expect(BackpropError.parametersChangedSinceForward.description.contains("run forward(_:) again"))
    }
}
