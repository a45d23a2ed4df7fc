import Foundation
import BackpropTestSupport
import Testing
import BackpropCore

/// Training that failed while every number stayed finite is diagnosed
/// against the loss of a constant prediction and against its own start.
@Suite("Training diagnosis")
struct TrainingDiagnosisTests {
    static func circlesNetwork() throws -> Network<Double> {
        try Network(inputSize: 2, layers: [.dense(32, .relu), .dense(16, .relu), .dense(1, .sigmoid)],
                    loss: .binaryCrossEntropy, seed: 1)
    }

    /// A learning rate 1000 times too large: the loss stays finite but ends
    /// far above a constant prediction's, at chance accuracy.
    @Test func divergedButFiniteRunIsWarned() throws {
        let data = try Dataset.circles(samples: 400, seed: 2)
        var net = try Self.circlesNetwork()
        let report = try net.train(on: data, epochs: 100, learningRate: 100, batchSize: 32)
        #expect(report.stopReason == .completed, "the run must stay finite for this test")
        #expect(report.trainingLoss.allSatisfy { $0.isFinite })
        let baseline = try net.constantBaseline(on: data)
        let accuracy = try net.accuracy(on: data)
        let warnings = report.diagnosis(baseline: baseline, accuracy: accuracy)
        #expect(warnings.contains(.noBetterThanConstant(last: report.trainingLoss.last!, baseline: baseline.loss)),
                "\(warnings), final loss \(report.trainingLoss.last!), baseline \(baseline.loss)")
        #expect(warnings.contains(.chanceAccuracy(accuracy: accuracy, majorityRate: 0.5)), "\(warnings)")
    }

    /// The same network at a sensible rate: no warning.
    @Test func healthyRunIsNotWarned() throws {
        let data = try Dataset.circles(samples: 400, seed: 2)
        var net = try Self.circlesNetwork()
        let report = try net.train(on: data, epochs: 100, learningRate: 0.1, batchSize: 32)
        let accuracy = try net.accuracy(on: data)
        #expect(accuracy > 0.9)
        #expect(report.diagnosis(baseline: try net.constantBaseline(on: data), accuracy: accuracy) == [])
    }

    /// Regression has no chance level but has the mean: a network that
    /// diverged on a regression is no better than predicting the mean.
    @Test func regressionAgainstTheMean() throws {
        var rng = TestRandom(seed: 5)
        let x = rng.matrix(200, 3) { $0.normal() }
        let y = try Matrix(rows: 200, columns: 1, elements: (0..<200).map { i in
            2 * x[i, 0] - x[i, 1] + 0.1 * rng.normal()
        })
        let data = Dataset(inputs: x, targets: y)
        var good = try Network(inputSize: 3, layers: [.dense(8, .tanh), .dense(1, .identity)],
                               loss: .meanSquaredError, seed: 3)
        let fitted = try good.train(on: data, epochs: 200, learningRate: 0.05, batchSize: 20)
        let baseline = try good.constantBaseline(on: data)
        #expect(baseline.majorityRate == nil)
        #expect(fitted.diagnosis(baseline: baseline) == [])
        // Predicting a constant far from the mean is worse than the mean.
        var constant = try Network(inputSize: 3, layers: [.dense(1, .identity)], loss: .meanSquaredError, seed: 3)
        try constant.setWeights(Matrix(rows: 3, columns: 1), layer: 0)
        try constant.setBias([5], layer: 0)
        let loss = try constant.loss(on: data)
        let flat = TrainingReport(trainingLoss: [loss, loss])
        #expect(flat.diagnosis(baseline: baseline) == [.noBetterThanConstant(last: loss, baseline: baseline.loss)])
    }

    /// The baseline is the best constant prediction's loss, exactly.
    @Test func baselineValues() throws {
        let x = try Matrix<Double>(rows: 6, columns: 1)
        // Binary: 2 of 6 are class 1.
        let binary = try Network(inputSize: 1, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        let b = try binary.constantBaseline(on: Dataset(inputs: x, labels: [0, 1, 0, 0, 1, 0]))
        let p = 2.0 / 6
        #expect(abs(b.loss - (-p * log(p) - (1 - p) * log(1 - p))) < 1e-15)
        #expect(b.majorityRate == 4.0 / 6)
        // Categorical: frequencies 1/2, 1/3, 1/6 — the loss of a network
        // whose softmax outputs exactly those frequencies.
        var categorical = try Network(inputSize: 1, layers: [.dense(3, .softmax)], loss: .categoricalCrossEntropy)
        let labels = [0, 0, 0, 1, 1, 2]
        let c = try categorical.constantBaseline(on: Dataset(inputs: x, labels: labels))
        try categorical.setWeights(Matrix(rows: 1, columns: 3), layer: 0)
        try categorical.setBias([log(0.5), log(1.0 / 3), log(1.0 / 6)], layer: 0)
        #expect(abs(c.loss - (try categorical.loss(inputs: x, labels: labels))) < 1e-12)
        #expect(c.loss <= log(3.0))
        #expect(c.majorityRate == 0.5)
        // One-hot targets give the same as labels.
        var oneHot = try Matrix<Double>(rows: 6, columns: 3)
        for (i, l) in labels.enumerated() { oneHot[i, l] = 1 }
        #expect(abs(try categorical.constantBaseline(on: Dataset(inputs: x, targets: oneHot)).loss - c.loss) < 1e-15)
        // Mean squared error: the mean of the columns' variances.
        let regression = try Network(inputSize: 1, layers: [.dense(2, .identity)], loss: .meanSquaredError)
        let y = try Matrix([[1.0, 10], [2, 10], [3, 10], [4, 10], [5, 10], [6, 1e9 + 10]])
        let r = try regression.constantBaseline(on: Dataset(inputs: x, targets: y))
        let variance0 = 17.5 / 6
        let mean1 = (50 + 1e9 + 10) / 6
        let variance1 = (5 * (10 - mean1) * (10 - mean1) + (1e9 + 10 - mean1) * (1e9 + 10 - mean1)) / 6
        #expect(abs(r.loss - (variance0 + variance1) / 2) <= 1e-12 * r.loss)
    }

    /// Loss history alone: a rise to more than twice the first epoch's.
    @Test func lossThatRises() {
        #expect(TrainingReport(trainingLoss: [0.7, 0.4, 1.5]).diagnosis(baseline: nil)
                == [.lossIncreased(first: 0.7, last: 1.5)])
        #expect(TrainingReport(trainingLoss: [0.7, 0.4, 1.3]).diagnosis(baseline: nil) == [])
        #expect(TrainingReport(trainingLoss: []).diagnosis(baseline: ConstantBaseline(loss: 0.69)) == [])
        // Both: diverged far above a constant prediction.
        #expect(TrainingReport(trainingLoss: [0.8, 474]).diagnosis(baseline: ConstantBaseline(loss: 0.69, majorityRate: 0.5),
                                                                   accuracy: 0.5)
                == [.lossIncreased(first: 0.8, last: 474), .noBetterThanConstant(last: 474, baseline: 0.69),
                    .chanceAccuracy(accuracy: 0.5, majorityRate: 0.5)])
        // A converged fit's noise among tiny losses is not divergence.
        #expect(TrainingReport(trainingLoss: [1e-6, 3e-6]).diagnosis(baseline: ConstantBaseline(loss: 0.69)) == [])
        // Every row in one class: accuracy 1 is not chance.
        #expect(TrainingReport(trainingLoss: [0.1, 0.05]).diagnosis(baseline: ConstantBaseline(loss: 0, majorityRate: 1),
                                                                    accuracy: 1) == [])
    }

    @Test func describesTheWarnings() {
        let rose = TrainingWarning.lossIncreased(first: 0.693, last: 474.2)
        #expect(rose.description.contains("0.693") && rose.description.contains("474.2") && rose.description.contains("diverged"))
        let flat = TrainingWarning.noBetterThanConstant(last: 0.7, baseline: 0.6931)
        #expect(flat.description.contains("0.6931") && flat.description.contains("learned nothing"))
        #expect(TrainingWarning.chanceAccuracy(accuracy: 0.5, majorityRate: 0.5).description.contains("50.0%"))
        #expect(TrainingReport().warnings == [])
    }
}
