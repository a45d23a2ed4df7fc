import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Requests larger than the memory allowed are typed errors, raised before
/// anything is allocated, never an allocation trap.
@Suite("Memory budget")
struct MemoryBudgetTests {
    static func isInsufficientMemory(_ error: any Error) -> Bool {
        guard case BackpropError.insufficientMemory = error else { return false }
        return true
    }

    @Test func networkTooLargeForTheMachine() throws {
        // 2^40 weights in one layer (the most a layer may have): 8.8 TB in double
        #expect(performing: {
            _ = try Network(inputSize: 1 << 20, layers: [.dense(1 << 20, .relu), .dense(1, .sigmoid)],
                            loss: .binaryCrossEntropy)
        }, throws: Self.isInsufficientMemory)
        // many layers of 2^40 weights: the total saturates rather than overflows
        #expect(performing: {
            _ = try Network<Float>(inputSize: 1 << 20, layers: Array(repeating: .dense(1 << 20, .relu), count: 9000)
                                   + [.dense(1, .identity)], loss: .meanSquaredError)
        }, throws: Self.isInsufficientMemory)
    }

    @Test func engineBeyondTheNetworksBudget() throws {
        let data = try Dataset.blobs(samplesPerClass: 200, seed: 1)
        var net = try Network(inputSize: 2, layers: [.dense(64, .relu), .dense(3, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 3)
        let before = net.layers
        // 600 rows × (64 + 3) units × 4 buffers × 8 bytes alone exceed 100 kB
        net.memoryBudget = try MemoryBudget(limit: 100_000)
        #expect(performing: { try net.train(on: data, epochs: 1, learningRate: 0.1) },
                throws: Self.isInsufficientMemory)
        #expect(net.layers == before, "nothing changed")
        // small batches fit
        try net.train(on: data, epochs: 1, learningRate: 0.1, batchSize: 8)
        #expect(net.layers != before)
        #expect(try net.predict(Matrix(rows: 1, columns: 2)).rows == 1)
        net.memoryBudget = try MemoryBudget(limit: 1000)
        #expect(performing: { _ = try net.predict(Matrix(rows: 200, columns: 2)) }, throws: Self.isInsufficientMemory)
        #expect(performing: { _ = try MemoryBudget(limit: 0) }, throws: { error in
            if case BackpropError.invalidHyperparameter = error { return true }
            return false
        })
    }

    @Test func hugeMatricesAndDataSets() throws {
        #expect(performing: { _ = try Matrix<Double>(rows: 1 << 30, columns: 1 << 20) }, throws: Self.isInsufficientMemory)
        #expect(performing: { _ = try Dataset.spiral(pointsPerClass: 1_000_000, classes: 1 << 40) },
                throws: Self.isInsufficientMemory)
        #expect(MemoryBudget.bytes(count: Int.max / 2, size: 8) == Int.max)
        // 2^21 classes: 35 TB of counts
        let names = (0..<(1 << 21)).map(String.init)
        #expect(performing: { _ = try ConfusionMatrix(truth: [0], predicted: [1], classes: names) },
                throws: Self.isInsufficientMemory)
        #expect(try ConfusionMatrix(truth: [0, 1], predicted: [1, 1], classes: ["a", "b"]).correct == 1)
        let available = try #require(MemoryBudget.systemAvailableBytes(), "the machine's memory can be read")
        #expect(available > 0)
        #expect(try MemoryBudget(limit: 5).availableBytes == 5)
        let message = BackpropError.insufficientMemory(what: "x", required: 80_000_000_000, available: 24_500_000_000)
            .description
        #expect(message == "not enough memory for x: it needs 80.0 GB, 24.5 GB available")
    }
}
