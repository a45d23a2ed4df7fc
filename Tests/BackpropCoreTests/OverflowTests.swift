import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Finite inputs and finite parameters whose results overflow: every
/// public evaluation returns finite numbers or throws
/// ``BackpropError/overflow(what:row:)`` naming the row and where.
@Suite("Overflowing results")
struct OverflowTests {
    /// 2 → 2 ReLU → 1 sigmoid. A row with a = 1 gives hidden units of 10²⁰⁰
    /// each; the output logit is 10²⁰⁰·h₀ + `secondWeight`·h₁: ∞ − ∞ = NaN
    /// for −10²⁰⁰ (the output is NaN), +∞ for +10²⁰⁰ (the output saturates
    /// at 1, the loss does not). Rows with a = 0 stay at 0.
    static func network(secondWeight: Double) throws -> Network<Double> {
        var net = try Network(inputSize: 2, layers: [.dense(2, .relu), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 1)
        try net.setWeights(Matrix([[1e200, 1e200], [0, 0]]), layer: 0)
        try net.setBias([0, 0], layer: 0)
        try net.setWeights(Matrix([[1e200], [secondWeight]]), layer: 1)
        try net.setBias([0], layer: 1)
        return net
    }

    /// `rows` rows of zeros but row `hot`, whose first feature is 1.
    static func inputs(rows: Int, hot: Int) throws -> Matrix<Double> {
        var x = try Matrix<Double>(rows: rows, columns: 2)
        x[hot, 0] = 1
        return x
    }

    @Test func predictNamesTheRowAndTheLayer() throws {
        let net = try Self.network(secondWeight: -1e200)
        #expect(try net.predict(Self.inputs(rows: 3, hot: 0).rows(at: [1, 2])).elements == [0.5, 0.5])
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 2)) {
            try net.predict(Self.inputs(rows: 4, hot: 2))
        }
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 2)) {
            try net.predictClasses(Self.inputs(rows: 4, hot: 2))
        }
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 2)) {
            try net.accuracy(inputs: Self.inputs(rows: 4, hot: 2), labels: [0, 0, 0, 0])
        }
    }

    /// `predict` and `loss` run in chunks of 1024 rows: the row counts from
    /// the start of the batch.
    @Test func rowsCountAcrossChunks() throws {
        let net = try Self.network(secondWeight: -1e200)
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 2500)) {
            try net.predict(Self.inputs(rows: 3000, hot: 2500))
        }
        let labels = [Int](repeating: 1, count: 3000)
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 1100)) {
            try net.loss(inputs: Self.inputs(rows: 3000, hot: 1100), labels: labels)
        }
    }

    /// An output saturated at 1 is the right probability; the loss computed
    /// from an infinite logit is not a number, and is refused.
    @Test func lossOfASaturatedOutput() throws {
        let net = try Self.network(secondWeight: 1e200)
        let x = try Self.inputs(rows: 3, hot: 1)
        #expect(try net.predict(x).elements == [0.5, 1, 0.5])
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 1)) {
            try net.loss(inputs: x, labels: [0, 1, 0])
        }
    }

    /// Finite outputs of 10¹⁶⁰ whose squared error is infinite.
    @Test func lossOfFiniteOutputs() throws {
        var net = try Network(inputSize: 1, layers: [.dense(1, .identity), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[1e80]]), layer: 0)
        try net.setWeights(Matrix([[1e80]]), layer: 1)
        try net.setBias([0], layer: 0)
        try net.setBias([0], layer: 1)
        let x = try Matrix([[0.0], [0.0], [1.0]])
        #expect(try net.predict(x).elements == [0, 0, 1e160])
        #expect(throws: BackpropError.overflow(what: "the loss", row: 2)) {
            try net.loss(inputs: x, targets: Matrix([[0.0], [0.0], [0.0]]))
        }
    }

    /// In single precision the range ends near 3.4·10³⁸.
    @Test func singlePrecision() throws {
        var float = try Network<Float>(inputSize: 2, layers: [.dense(2, .relu), .dense(1, .identity)],
                                       loss: .meanSquaredError, seed: 1)
        try float.setWeights(Matrix([[1e30, 1e30], [0, 0]]), layer: 0)
        try float.setWeights(Matrix([[1e30], [1]]), layer: 1)
        var x = try Matrix<Float>(rows: 3, columns: 2)
        x[1, 0] = 1
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 1)) {
            try float.predict(x)
        }
    }

    @Test func describesTheOverflow() {
        let error = BackpropError.overflow(what: "the pre-activations of layer 1", row: 7)
        #expect(error.description.contains("the pre-activations of layer 1 at row 7"))
        #expect(error.description.contains("overflows"))
    }
}
