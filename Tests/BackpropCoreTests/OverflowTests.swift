import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Finite inputs and finite parameters whose results overflow: every
/// public evaluation returns finite numbers or throws
/// ``BackpropError/overflow(what:row:)`` naming the row and where.
@Suite("Overflowing results")
struct OverflowTests {
    static func network(secondWeight: Double) throws -> Network<Double> {
        try OverflowingNetworks.saturating(secondWeight: secondWeight)
    }

    static func inputs(rows: Int, hot: Int) throws -> Matrix<Double> {
        try OverflowingNetworks.inputs(rows: rows, hot: hot)
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
        let net = try OverflowingNetworks.squaring()
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
