import BackpropCore
import Foundation

// An application that trains networks and nothing else depends on the
// BackpropCore product alone: no CSV reader, model files or plots are
// linked into it (`make test` checks its symbols).
//
// Two interleaving half circles (scikit-learn's make_moons), 500 points to
// train on and 250 to test on, learned by a 2-8-1 network.
let train = try Dataset.moons(samples: 500, noise: 0.1, seed: 1)
let test = try Dataset.moons(samples: 250, noise: 0.1, seed: 2)
var net = try Network(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .sigmoid)],
                      loss: .binaryCrossEntropy, seed: 3)
try net.train(on: train, epochs: 300, learningRate: 0.5, batchSize: 32)
let accuracy = try net.accuracy(on: test)
print("moons, 2-8-1 network, 300 epochs: test accuracy \(accuracy)")

// A straight line (a 2-1 network) classifies 0.86 of these test points
// correctly; the hidden layer must bend the boundary to pass.
guard accuracy >= 0.95 else {
    print("test accuracy below 0.95")
    exit(1)
}
