import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Networks used from many tasks at once, on products large enough that the
/// C GEMM splits them across a two-thread engine's pool. Run under
/// ThreadSanitizer by `make sanitize-swift`; on their own they check that
/// every concurrent result is the serial one.
@Suite("Concurrent use")
struct ConcurrencyTests {
    /// 128 inputs, two 256-wide layers: a batch of 256 rows is a
    /// 256 × 256 × 128 product (16.8 MFLOP), above the size the C engine
    /// splits across threads (BP_EXEC_PARALLEL_MIN_FLOPS, about 6 MFLOP).
    static func network(threads: Int) throws -> Network<Double> {
        var net = try Network(inputSize: 128, layers: [.dense(256, .relu), .dense(256, .tanh), .dense(10, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 17)
        net.threads = threads
        return net
    }

    static func inputs(seed: UInt64) -> Matrix<Double> {
        var rng = TestRandom(seed: seed)
        return rng.matrix(256, 128) { $0.normal() }
    }

    /// Twelve tasks predict at once with one shared two-thread network and
    /// with copies of it; each gets the bits of a one-thread serial run.
    @Test func predictFromManyTasks() async throws {
        let net = try Self.network(threads: 2)
        let x = Self.inputs(seed: 5)
        let expected = try Self.network(threads: 1).predict(x).elements
        let results = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for task in 0..<12 {
                group.addTask {
                    let copy = net
                    let out = try (task.isMultiple(of: 2) ? net : copy).predict(x)
                    return (task, out.elements)
                }
            }
            var all: [Int: [Double]] = [:]
            for try await (task, out) in group { all[task] = out }
            return all
        }
        #expect(results.count == 12)
        for task in 0..<12 { #expect(results[task] == expected, "task \(task)") }
    }

    /// A copy trains with two threads while other tasks predict with the
    /// original (the copies share their kept engines): the original's
    /// predictions never change, and the trained copy's parameters are those
    /// of the same training run alone.
    @Test func trainWithTwoThreadsWhilePredicting() async throws {
        let net = try Self.network(threads: 2)
        let x = Self.inputs(seed: 6)
        var rng = TestRandom(seed: 7)
        let labels = (0..<256).map { _ in rng.int(below: 10) }
        let before = try net.predict(x).elements

        var alone = net
        try alone.train(inputs: x, labels: labels, epochs: 2, learningRate: 0.05, batchSize: 128)
        let expectedTrained = alone.parameters

        let (trained, predictions) = try await withThrowingTaskGroup(of: ([Double]?, [[Double]]).self) { group in
            group.addTask {
                var copy = net
                try copy.train(inputs: x, labels: labels, epochs: 2, learningRate: 0.05, batchSize: 128)
                return (copy.parameters, [])
            }
            for _ in 0..<4 {
                group.addTask { (nil, try (0..<3).map { _ in try net.predict(x).elements }) }
            }
            var trained: [Double]?
            var predictions: [[Double]] = []
            for try await (parameters, outputs) in group {
                if let parameters { trained = parameters }
                predictions += outputs
            }
            return (trained, predictions)
        }
        #expect(trained == expectedTrained)
        #expect(predictions.count == 12)
        #expect(predictions.allSatisfy { $0 == before })
    }
}
