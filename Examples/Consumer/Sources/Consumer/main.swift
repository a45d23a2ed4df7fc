import Backprop

// Two concentric circles (scikit-learn's make_circles), 1000 points to
// train on and 500 to test on.
let train = try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1)
let test = try Dataset.circles(samples: 500, noise: 0.1, factor: 0.5, seed: 2)

// Seed 01's network: 2 inputs, ReLU layers of 4 and 3 units, one sigmoid
// output, binary cross-entropy. The seed makes everything reproducible.
var net = try Network(inputSize: 2,
                      layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
                      loss: .binaryCrossEntropy, seed: 42)
print("before training: test accuracy \(try net.accuracy(on: test))")

// Mini-batch gradient descent, with the test set as validation data.
let report = try net.train(on: train, epochs: 200, learningRate: 0.5, batchSize: 32,
                           validation: test) { epoch in
    if epoch.epoch % 50 == 0 {
        print("epoch \(epoch.epoch): loss \(epoch.trainingLoss), test accuracy \(epoch.validationAccuracy!)")
    }
    return .continue
}
print("after \(report.epochsCompleted) epochs: test accuracy \(try net.accuracy(on: test))")

// Backpropagation's gradients agree with finite differences.
let check = try net.checkGradients(on: test.rows(at: Array(0..<10)))
print("gradient check: \(check.passed ? "passed" : "FAILED"), largest relative error \(check.maxRelativeError)")

// Predict new points: probabilities of the inner circle.
let p = try net.predict([[0.0, 0.1], [0.9, -0.3]])
print("P(inner) at (0, 0.1): \(p[0, 0]), at (0.9, −0.3): \(p[1, 0])")
