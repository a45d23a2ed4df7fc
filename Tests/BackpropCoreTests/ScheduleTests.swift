import BackpropCore
import BackpropTestSupport
import Foundation
import Testing

/// `Tests/Fixtures/schedules/dense.json`: torch.optim.lr_scheduler runs.
private struct ScheduleFixture: Decodable {
    struct Spec: Decodable {
        let kind: String
        let every: Int?, factor: Double?, period: Int?, minimum: Double?, warm_up: Int?, start: Double?
        let patience: Int?, threshold: Double?, cooldown: Int?

        var schedule: LearningRateSchedule {
            switch kind {
            case "step": .step(every: every!, factor: factor!)
            case "exponential": .exponential(factor: factor!)
            case "cosine": .cosine(period: period!, minimum: minimum!, warmUpEpochs: warm_up!, warmUpStartFactor: start!)
            default: .reduceOnPlateau(factor: factor!, patience: patience!, threshold: threshold!, cooldown: cooldown!,
                                      minimum: minimum!)
            }
        }
    }
    struct Case: Decodable {
        let name: String
        let optimizer: FixtureOptimizer
        let learning_rate: Double
        let schedule: Spec
        let rates: [Double]
        let params: [[Double]]
    }
    let epochs: Int
    let every: Int
    let batch: Int
    let cases: [Case]

    static func load() throws -> ScheduleFixture {
        try JSONDecoder().decode(ScheduleFixture.self, from: Data(contentsOf: fixtureURL("schedules/dense.json")))
    }
}

@Suite("Learning-rate schedules, against torch.optim.lr_scheduler")
struct ScheduleTests {
    /// The closed forms against PyTorch's rates, epoch by epoch.
    @Test func ratesMatchPyTorch() throws {
        let fixture = try ScheduleFixture.load()
        var compared = 0
        for c in fixture.cases where c.schedule.kind != "plateau" {
            for (epoch, expected) in c.rates.enumerated() {
                let rate = c.schedule.schedule.learningRate(base: c.learning_rate, epoch: epoch)
                #expect(abs(rate - expected) <= 1e-12 * c.learning_rate, "\(c.name) epoch \(epoch)")
                compared += 1
            }
        }
        #expect(compared == 4 * fixture.epochs)
    }

    /// Training with each schedule: the rate of every epoch (as the epoch
    /// summaries report it) and the parameters every few epochs (from
    /// checkpoints) equal PyTorch's to 1e-12.
    @Test func trainingMatchesPyTorch() throws {
        let fixture = try ScheduleFixture.load()
        let net = try TorchNetworkFixture.load("schedules/dense.json")
        let data = try net.dataset()
        for c in fixture.cases {
            var network = try net.network()
            network.optimizer = c.optimizer.optimizer
            let initial = network
            var rates: [Double] = []
            var parameters: [[Double]] = []
            let report = try network.train(
                on: data, epochs: fixture.epochs, learningRate: c.learning_rate, batchSize: fixture.batch,
                shuffle: false, schedule: c.schedule.schedule,
                onEpoch: { rates.append($0.learningRate); return .continue },
                checkpointEvery: fixture.every,
                onCheckpoint: { checkpoint in
                    var copy = initial
                    try copy.restore(from: checkpoint)
                    parameters.append(flatParameters(of: copy))
                })
            parameters.append(flatParameters(of: network))
            #expect(report.stopReason == .completed)
            #expect(rates.count == c.rates.count)
            #expect(zip(rates, c.rates).allSatisfy { abs($0 - $1) <= 1e-12 * c.learning_rate }, "\(c.name): \(rates)")
            #expect(parameters.count == c.params.count)
            for (k, (got, expected)) in zip(parameters, c.params).enumerated() {
                #expect(agrees(got, expected), "\(c.name) after \(fixture.every * (k + 1)) epochs")
            }
        }
    }

    /// A schedule's state survives a checkpoint: an interrupted run with a
    /// plateau schedule and Adam resumes to exactly the uninterrupted result.
    @Test func plateauScheduleResumesExactly() throws {
        let data = try Dataset<Double>.moons(samples: 80, noise: 0.2, seed: 9)
        var network = try Network<Double>(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 12)
        network.optimizer = .adam()
        let schedule = LearningRateSchedule.reduceOnPlateau(factor: 0.5, patience: 1, threshold: 0.02)
        var whole = network
        var wholeRates: [Double] = []
        try whole.train(on: data, epochs: 30, learningRate: 0.05, batchSize: 16, schedule: schedule,
                        onEpoch: { wholeRates.append($0.learningRate); return .continue })
        #expect(Set(wholeRates).count > 2)  // the rate did drop, more than once

        var rates: [Double] = []
        let first = try network.train(on: data, epochs: 30, learningRate: 0.05, batchSize: 16, schedule: schedule,
                                      onEpoch: { rates.append($0.learningRate); return $0.epoch == 13 ? .stop : .continue })
        let checkpoint = try TrainingCheckpoint(decoding: try #require(first.checkpoint).encoded())
        var resumed = try Network<Double>(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 99)
        let report = try resumed.train(on: data, resumingFrom: checkpoint,
                                       onEpoch: { rates.append($0.learningRate); return .continue })
        #expect(rates == wholeRates)
        #expect(flatParameters(of: resumed) == flatParameters(of: whole))
        #expect(resumed.optimizerState == whole.optimizerState)
        #expect(report.trainingLoss.count == 30)
    }

    /// Bad schedule parameters are typed errors.
    @Test(arguments: [LearningRateSchedule.step(every: 0, factor: 0.5), .step(every: 2, factor: -1),
                      .exponential(factor: .nan), .cosine(period: 0), .cosine(period: 5, minimum: -1),
                      .cosine(period: 5, warmUpEpochs: -1), .cosine(period: 5, warmUpEpochs: 2, warmUpStartFactor: 0),
                      .reduceOnPlateau(factor: 1), .reduceOnPlateau(patience: -1), .reduceOnPlateau(threshold: 1)])
    func invalidSchedulesAreRefused(schedule: LearningRateSchedule) throws {
        var network = try Network<Double>(inputSize: 2, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        #expect {
            try network.train(on: Dataset<Double>.xor(), epochs: 2, learningRate: 0.1, schedule: schedule)
        } throws: { error in
            guard case let BackpropError.invalidHyperparameter(name, _, _) = error else { return false }
            return name.hasPrefix("schedule.")
        }
    }
}
