import Dispatch
import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// A run stopped at any step and resumed from its checkpoint ends with
/// exactly the parameters, generator state and loss history of the same
/// run left alone, whatever the engine (wide GEMM layers, narrow online
/// steps, float), the batching and the shuffling; a checkpoint survives its
/// JSON form bit for bit and refuses a network or data it was not made for.
@Suite("Training checkpoints: interrupt and resume")
struct CheckpointTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var batchSize: Int?
        var shuffle: Bool
        var epochs: Int
        var description: String { name }
    }

    /// 300 samples of 12 features in 3 classes.
    static func data(rows: Int = 300, seed: UInt64 = 3) -> Dataset<Double> {
        var random = TestRandom(seed: seed)
        let x = random.matrix(rows, 12) { $0.normal() }
        let labels = (0..<rows).map { i in
            (x[i, 0] + 0.5 * x[i, 1] > 0.3 ? 1 : 0) + (x[i, 2] - x[i, 3] > 0.8 ? 1 : 0)
        }
        return Dataset(inputs: x, labels: labels)
    }

    /// Wide enough for the GEMM engine (and its fused update).
    static func wideNetwork<S: NetworkScalar>(_: S.Type = S.self) throws -> Network<S> {
        try Network<S>(inputSize: 12, layers: [.dense(48, .relu), .dense(24, .tanh), .dense(3, .softmax)],
                       loss: .categoricalCrossEntropy, seed: 9)
    }

    /// Runs `epochs` uninterrupted, then the same run stopped after `stop`
    /// steps (through a JSON round trip of its checkpoint) and resumed on a
    /// freshly built network; both must agree bit for bit.
    func expectResumeIsExact<S: NetworkScalar>(
        _ fresh: () throws -> Network<S>, data: Dataset<S>, run: Case, stopAfter stops: [Int],
        learningRate: Double = 0.05, validation: Dataset<S>? = nil
    ) throws {
        var whole = try fresh()
        let reference = try whole.train(on: data, epochs: run.epochs, learningRate: learningRate,
                                        batchSize: run.batchSize, shuffle: run.shuffle, validation: validation)
        #expect(reference.stopReason == .completed && reference.checkpoint == nil)
        #expect(reference.trainingLoss.last! < reference.trainingLoss.first!, "\(run): training made progress")
        for stop in stops {
            var first = try fresh()
            let part = try first.train(on: data, epochs: run.epochs, learningRate: learningRate,
                                       batchSize: run.batchSize, shuffle: run.shuffle, validation: validation,
                                       interruption: try TrainingInterruption(afterSteps: stop))
            let batch = Swift.min(run.batchSize ?? data.count, data.count)
            let perEpoch = (data.count + batch - 1) / batch
            #expect(part.stopReason == .interrupted(epoch: stop / perEpoch + 1, step: stop % perEpoch),
                    "\(run), stop \(stop)")
            let saved = try #require(part.checkpoint)
            #expect(saved.epochsCompleted == stop / perEpoch && saved.stepsCompleted == stop % perEpoch)
            #expect(saved.trainingLoss == Array(reference.trainingLoss.prefix(saved.epochsCompleted)))
            let checkpoint = try TrainingCheckpoint(decoding: saved.encoded())
            #expect(checkpoint == saved, "\(run): the JSON round trip changed the checkpoint")

            var resumed = try fresh()   // a new process would start from nothing but the file
            let rest = try resumed.train(on: data, resumingFrom: checkpoint, validation: validation)
            #expect(rest.stopReason == .completed && rest.checkpoint == nil)
            #expect(resumed.parameters == whole.parameters, "\(run), stop \(stop): parameters differ")
            #expect(rest.trainingLoss.count == run.epochs)
            // Epochs split by the pause sum their loss in two parts.
            for (a, b) in zip(rest.trainingLoss, reference.trainingLoss) {
                #expect(abs(a - b) <= 1e-12 * abs(b), "\(run), stop \(stop): loss \(a) vs \(b)")
            }
            if validation != nil {
                #expect(rest.validationLoss == reference.validationLoss)
                #expect(rest.validationAccuracy == reference.validationAccuracy)
            }
            // The generators are in the same state: training on draws the same orders.
            var a = whole, b = resumed
            try a.train(on: data, epochs: 2, learningRate: learningRate, batchSize: 7)
            try b.train(on: data, epochs: 2, learningRate: learningRate, batchSize: 7)
            #expect(a.parameters == b.parameters, "\(run), stop \(stop): generator state differs")
        }
    }

    static let cases = [
        Case(name: "shuffled mini-batches", batchSize: 16, shuffle: true, epochs: 4),
        Case(name: "mini-batches in order", batchSize: 32, shuffle: false, epochs: 3),
        Case(name: "online", batchSize: 1, shuffle: true, epochs: 2),
        Case(name: "full batch", batchSize: nil, shuffle: true, epochs: 6),
    ]

    @Test(arguments: cases)
    func wideNetworkResumesExactly(run: Case) throws {
        let batch = Swift.min(run.batchSize ?? 300, 300)
        let perEpoch = (300 + batch - 1) / batch
        // the first step, mid-epoch, an epoch boundary, and into a later epoch
        let stops = Array(Set([1, perEpoch / 2 + 1, perEpoch, perEpoch + 3].filter { $0 < perEpoch * run.epochs }))
            .sorted()
        try expectResumeIsExact({ try Self.wideNetwork(Double.self) }, data: Self.data(), run: run,
                                stopAfter: stops)
    }

    @Test func floatNetworkResumesExactly() throws {
        try expectResumeIsExact({ try Self.wideNetwork(Float.self) }, data: Self.data().converted(to: Float.self),
                                run: Case(name: "float", batchSize: 20, shuffle: true, epochs: 3),
                                stopAfter: [4, 15, 31])
    }

    /// Seed 03's 2-2-2-2 sigmoid half adder, online: the narrow engine's path.
    @Test func narrowOnlineNetworkResumesExactly() throws {
        let data = Dataset.halfAdder()
        try expectResumeIsExact({
            try Network(inputSize: 2, layers: [.dense(2, .sigmoid), .dense(2, .sigmoid), .dense(2, .sigmoid)],
                        loss: .meanSquaredError, seed: 4)
        }, data: data, run: Case(name: "half adder", batchSize: 1, shuffle: true, epochs: 300),
           stopAfter: [1, 2, 4, 517, 1199], learningRate: 0.5)
    }

    @Test func resumeWithValidationKeepsItsHistory() throws {
        let all = Self.data(rows: 360)
        try expectResumeIsExact({ try Self.wideNetwork(Double.self) }, data: all.rows(at: Array(0..<300)),
                                run: Case(name: "validated", batchSize: 25, shuffle: true, epochs: 3),
                                stopAfter: [5, 12, 30], validation: all.rows(at: Array(300..<360)))
    }

    /// More rows than one look at the interruption covers: the epochs run in
    /// runs of steps, which must give the bits of whole-epoch calls.
    @Test func runsOfStepsEqualWholeEpochs() throws {
        let rows = Network<Double>.rowsPerInterruptionCheck * 2 + 77
        let data = Self.data(rows: rows, seed: 8)
        var plain = try Network(inputSize: 12, layers: [.dense(6, .tanh), .dense(3, .softmax)],
                                loss: .categoricalCrossEntropy, seed: 2)
        var watched = plain
        let a = try plain.train(on: data, epochs: 2, learningRate: 0.05, batchSize: 64)
        let b = try watched.train(on: data, epochs: 2, learningRate: 0.05, batchSize: 64,
                                  interruption: TrainingInterruption())
        #expect(plain.parameters == watched.parameters)
        for (x, y) in zip(a.trainingLoss, b.trainingLoss) { #expect(abs(x - y) <= 1e-12 * x) }
    }

    /// A stop requested from another thread while training runs: the
    /// training thread pauses after its first epoch until the request is made.
    @Test func interruptionFromAnotherThread() throws {
        let data = Self.data(rows: Network<Double>.rowsPerInterruptionCheck * 3, seed: 5)
        var whole = try Self.wideNetwork(Double.self)
        try whole.train(on: data, epochs: 4, learningRate: 0.01, batchSize: 32)
        let interruption = TrainingInterruption()
        let started = DispatchSemaphore(value: 0), requested = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Network<Double>, TrainingReport), any Error>?
        let thread = Thread {
            outcome = Result {
                var net = try Self.wideNetwork(Double.self)
                let report = try net.train(on: data, epochs: 4, learningRate: 0.01, batchSize: 32,
                                           interruption: interruption) { summary in
                    if summary.epoch == 1 {
                        started.signal()
                        requested.wait()
                    }
                    return .continue
                }
                return (net, report)
            }
            finished.signal()
        }
        thread.start()
        started.wait()
        interruption.request()
        requested.signal()
        finished.wait()
        let (stopped, report) = try #require(outcome).get()
        #expect(report.stopReason == .interrupted(epoch: 2, step: 0))
        #expect(stopped.parameters != whole.parameters)
        var resumed = try Self.wideNetwork(Double.self)
        try resumed.train(on: data, resumingFrom: try #require(report.checkpoint))
        #expect(resumed.parameters == whole.parameters)
    }

    @Test func periodicCheckpointsResumeExactly() throws {
        let data = Self.data()
        var whole = try Self.wideNetwork(Double.self)
        var saved: [TrainingCheckpoint] = []
        let report = try whole.train(on: data, epochs: 5, learningRate: 0.05, batchSize: 30, checkpointEvery: 2,
                                     onCheckpoint: { saved.append($0) })
        #expect(saved.map(\.epochsCompleted) == [2, 4] && saved.allSatisfy { $0.stepsCompleted == 0 })
        for checkpoint in saved {
            var resumed = try Self.wideNetwork(Double.self)
            let rest = try resumed.train(on: data, resumingFrom: checkpoint)
            #expect(resumed.parameters == whole.parameters && rest.trainingLoss == report.trainingLoss)
        }
        // an error thrown by the callback ends training and is rethrown
        struct DiskFull: Error {}
        var failing = try Self.wideNetwork(Double.self)
        #expect(throws: DiskFull.self) {
            try failing.train(on: data, epochs: 5, learningRate: 0.05, batchSize: 30, checkpointEvery: 2,
                              onCheckpoint: { _ in throw DiskFull() })
        }
    }

    @Test func checkpointRefusesAnotherNetworkOrData() throws {
        let data = Self.data()
        var net = try Self.wideNetwork(Double.self)
        let report = try net.train(on: data, epochs: 2, learningRate: 0.05, batchSize: 30,
                                   interruption: try TrainingInterruption(afterSteps: 3))
        let checkpoint = try #require(report.checkpoint)
        func expectRefused(_ body: () throws -> Void) {
            #expect {
                try body()
            } throws: { error in
                guard case BackpropError.invalidCheckpoint = error else { return false }
                return true
            }
        }
        var other = try Network(inputSize: 12, layers: [.dense(47, .relu), .dense(24, .tanh), .dense(3, .softmax)],
                                loss: .categoricalCrossEntropy)
        expectRefused { try other.train(on: data, resumingFrom: checkpoint) }
        var float = try Self.wideNetwork(Float.self)
        expectRefused { try float.train(on: data.converted(to: Float.self), resumingFrom: checkpoint) }
        var same = try Self.wideNetwork(Double.self)
        let before = same.parameters
        var changed = data
        changed.inputs[7, 3] += 1e-9
        expectRefused { try same.train(on: changed, resumingFrom: checkpoint) }
        expectRefused { try same.train(on: data.rows(at: Array(0..<299)), resumingFrom: checkpoint) }
        #expect(same.parameters == before, "a refused checkpoint changed the network")

        // damaged files
        let json = try JSONSerialization.jsonObject(with: checkpoint.encoded()) as! [String: Any]
        func damaged(_ key: String, _ value: Any) throws -> Data {
            var copy = json
            copy[key] = value
            return try JSONSerialization.data(withJSONObject: copy)
        }
        let order = json["order"] as! [Int]
        for bad in [try damaged("order", Array(order.dropLast()) + [order[0]]),
                    try damaged("stepsCompleted", 10),
                    try damaged("version", 3),
                    try damaged("version", 0),
                    try damaged("dropoutStep", 5),
                    try damaged("optimizerState", ["optimizer": ["rule": "adam"], "step": 1, "values": [0.5]]),
                    try damaged("earlyStoppingState", ["bestEpoch": 1, "badEpochs": 0, "bestParameters": []]),
                    try damaged("generator", [Int](repeating: 0, count: 625)),
                    try damaged("learningRate", -1),
                    try damaged("parameters", [1.0, 2.0]),
                    Data("{\"epochs\": 3".utf8), Data()] {
            expectRefused { _ = try TrainingCheckpoint(decoding: bad) }
        }
    }
}
