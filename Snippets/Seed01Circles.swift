// Seed 01's circles: prints the test accuracy before, during and after
// training, and exits with status 1 unless it rises from chance (0.5) to at
// least the tutorial's 0.8.
import BackpropCore
import Foundation

// Two concentric circles: 1000 points to train on, 500 to test on.
let train = try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1)
let test = try Dataset.circles(samples: 500, noise: 0.1, factor: 0.5, seed: 2)

var network = try Network(inputSize: 2,
                          layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
                          loss: .binaryCrossEntropy, seed: 42)
let before = try network.accuracy(on: test)
print("before training: test accuracy \(before)")

// Mini-batches of 32 at learning rate 0.5 (the tutorial's full batches at
// 0.005 went with a summed loss and a sigmoid derivative off by a factor 2).
let report = try network.train(on: train, epochs: 200, learningRate: 0.5, batchSize: 32,
                               validation: test) { epoch in
    if epoch.epoch % 50 == 0 {
        print("epoch \(epoch.epoch): loss \(epoch.trainingLoss), test accuracy \(epoch.validationAccuracy!)")
    }
    return .continue
}
let after = try network.accuracy(on: test)
print("after \(report.epochsCompleted) epochs: test accuracy \(after)")

// snippet.hide
// The tutorial's figures: accuracy 0.5 (chance: the classes are balanced)
// before training, about 0.8 at its best.
var agrees = true
if abs(before - 0.5) > 0.1 { agrees = false; print("MISMATCH: accuracy before training \(before), not about 0.5") }
if after < 0.8 { agrees = false; print("MISMATCH: accuracy after training \(after), below the tutorial's 0.8") }
if !(report.trainingLoss.last! < report.trainingLoss.first!) { agrees = false; print("MISMATCH: the loss did not fall") }
guard agrees else { exit(1) }
print("the figures agree with seed 01: from chance to at least the tutorial's 0.8")
// snippet.show
