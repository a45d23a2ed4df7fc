import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// The engines a network keeps between calls (EngineCache.swift): reuse must
/// never change a result, and what is kept stays bounded.
@Suite("Engines kept between calls")
struct EngineCacheTests {
    static func network(seed: UInt64 = 3) throws -> Network<Double> {
        try Network(inputSize: 6, layers: [.dense(40, .relu), .dense(33, .tanh), .dense(4, .softmax)],
                    loss: .categoricalCrossEntropy, seed: seed)
    }

    /// The same network without kept engines (a fresh cache).
    static func fresh(_ net: Network<Double>) throws -> Network<Double> {
        try Network(layers: net.layers, loss: net.loss)
    }

    /// A mix of calls with different row counts on one network — so later
    /// calls run on engines left by earlier, larger ones, their buffers
    /// holding old values — gives the bits of the same calls each on a
    /// network with no kept engine.
    @Test func reusedEnginesGiveTheSameBits() throws {
        var rng = TestRandom(seed: 61)
        let x = rng.matrix(300, 6) { $0.normal() }
        let labels = (0..<300).map { _ in rng.int(below: 4) }
        let data = Dataset(inputs: x, labels: labels)
        let small = data.rows(at: [5, 17, 3])

        var net = try Self.network()
        let p1 = try net.predict(x)
        #expect(p1.elements == (try Self.fresh(net).predict(x)).elements)
        #expect(try net.gradients(on: small) == (try Self.fresh(net).gradients(on: small)))

        var twin = try Self.fresh(net)
        try net.train(on: data, epochs: 2, learningRate: 0.1, batchSize: 32, shuffle: false)
        try twin.train(on: data, epochs: 2, learningRate: 0.1, batchSize: 32, shuffle: false)
        #expect(net.parameters == twin.parameters)

        let one = Matrix(uncheckedRows: 1, columns: 6, elements: Array(x.elements[0..<6]))
        #expect((try net.predict(one)).elements == (try Self.fresh(net).predict(one)).elements)
        #expect(try net.loss(on: small) == (try Self.fresh(net).loss(on: small)))
        #expect((try net.predict(x)).elements == (try Self.fresh(net).predict(x)).elements)
    }

    /// At most two idle engines, the most recent; none over the row limit
    /// (a full-batch `gradients` call over more rows); a call takes the
    /// smallest one that fits.
    @Test func keptEnginesAreBounded() throws {
        var rng = TestRandom(seed: 62)
        let net = try Self.network()
        let cache = net.engines
        #expect(cache.idleCapacities.isEmpty)
        _ = try net.predict(rng.matrix(10, 6) { $0.normal() })
        #expect(cache.idleCapacities == [10])
        _ = try net.predict(rng.matrix(3, 6) { $0.normal() })  // the 10-row engine fits
        #expect(cache.idleCapacities == [10])
        let big = EngineCache<Double>.keptCapacity + 1
        let labels = (0..<big).map { _ in rng.int(below: 4) }
        _ = try net.gradients(on: Dataset(inputs: rng.matrix(big, 6) { $0.normal() }, labels: labels))
        #expect(cache.idleCapacities == [10], "an engine over the limit is not kept")
        _ = try net.predict(rng.matrix(20, 6) { $0.normal() })
        _ = try net.predict(rng.matrix(30, 6) { $0.normal() })
        #expect(cache.idleCapacities == [30, 20], "two kept, the most recent first")
        _ = try net.predict(rng.matrix(15, 6) { $0.normal() })  // takes the 20-row one
        #expect(cache.idleCapacities == [20, 30])
    }

    /// `loss` over more rows than one chunk: the chunks' means weighted by
    /// their rows give the full batch's mean (from `gradients`, one engine
    /// call over every row), for labels and for dense targets, and the
    /// engine kept is a chunk's, not the data set's.
    @Test func chunkedLossEqualsFullBatchLoss() throws {
        var rng = TestRandom(seed: 65)
        let n = 2 * Network<Double>.evaluationChunk + 452
        let x = rng.matrix(n, 6) { $0.normal() }
        let labels = (0..<n).map { _ in rng.int(below: 4) }
        let net = try Self.network()
        let byLabels = Dataset(inputs: x, labels: labels)
        let chunked = try net.loss(on: byLabels)
        #expect(net.engines.idleCapacities == [Network<Double>.evaluationChunk])
        let full = try #require(try Self.fresh(net).gradients(on: byLabels).loss)
        #expect(abs(chunked - full) <= 1e-13 * full)

        let mse = try Network(inputSize: 6, layers: [.dense(9, .tanh), .dense(2, .identity)],
                              loss: .meanSquaredError, seed: 5)
        let targets = rng.matrix(n, 2) { $0.normal() }
        let dense = Dataset(inputs: x, targets: targets)
        let fullMSE = try #require(try mse.gradients(on: dense).loss)
        #expect(abs(try mse.loss(on: dense) - fullMSE) <= 1e-13 * fullMSE)
    }

    /// A new thread count gets an engine with that many threads.
    @Test func threadCountChangeGetsItsOwnEngine() throws {
        var rng = TestRandom(seed: 63)
        let x = rng.matrix(8, 6) { $0.normal() }
        var net = try Self.network()
        let one = try net.predict(x)
        net.threads = 2
        let two = try net.predict(x)
        #expect(one.elements == two.elements)
        #expect(net.engines.idleThreads.sorted() == [1, 2])
    }

    /// Copies share the cache; concurrent calls on them each get an engine
    /// of their own and the serial results.
    @Test func concurrentCallsOnCopies() throws {
        var rng = TestRandom(seed: 64)
        let x = rng.matrix(64, 6) { $0.normal() }
        let net = try Self.network()
        let expected = try Self.fresh(net).predict(x).elements
        let results = ResultBox(count: 16)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let copy = net
            results.set(i, (try? copy.predict(x))?.elements)
        }
        for i in 0..<16 { #expect(results.get(i) == expected, "task \(i)") }
        #expect(net.engines.idleCapacities.count <= EngineCache<Double>.keptEngines)
    }
}

/// Results written by concurrent tasks (under a lock).
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[Double]?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: [Double]?) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> [Double]? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
