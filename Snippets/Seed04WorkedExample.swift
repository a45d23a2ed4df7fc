// Seed 04's single example: prints the first prediction (0.521, as in the
// tutorial), the loss and the derivatives the tutorial works out by hand,
// then the prediction after each of six updates; exits with status 1 unless
// the derivatives match the tutorial's formulas and every update raises the
// prediction.
import BackpropCore
import Foundation

var network = try Network(inputSize: 3, layers: [.dense(4, .sigmoid), .dense(1, .sigmoid)],
                          loss: .binaryCrossEntropy, seed: 4)
let x = Matrix(row: [0.5, 0.1, 0.9]), t = 1.0

// Shift the output unit's bias so that ŷ = sigmoid(z) is 0.521 exactly.
func logit(_ p: Double) -> Double { log(p / (1 - p)) }
let untrained = try network.predict(x)[0, 0]
try network.setBias([network.layers[1].bias[0] + logit(0.521) - logit(untrained)], layer: 1)
let yHat = try network.predict(x)[0, 0]
print("first forward pass: ŷ = \(yHat)")

// The chain rule at the output: E = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)],
// ∂E/∂ŷ · ∂ŷ/∂z = (ŷ − t), so ∂E/∂b² = ŷ − t and ∂E/∂w²_j = (ŷ − t)·f_j,
// with f the hidden layer's outputs. One layer further back,
// ∂E/∂b¹_j = (ŷ − t)·w²_j·f_j·(1 − f_j).
let gradients = try network.gradients(inputs: x, targets: Matrix(row: [t]))
let f = try Network(layers: [network.layers[0]], loss: .meanSquaredError).predict(x)
let w2 = network.layers[1].weights
print("E = \(gradients.loss!), ∂E/∂b² = \(gradients.layers[1].bias[0])")
for j in 0..<4 {
    print("∂E/∂w²_\(j + 1) = \(gradients.layers[1].weights[j, 0]),  ∂E/∂b¹_\(j + 1) = \(gradients.layers[0].bias[j])")
}

// Updates at learning rate 0.5, each one forward pass, backward pass and step.
var predictions = [yHat]
for _ in 0..<6 {
    try network.apply(try network.gradients(inputs: x, targets: Matrix(row: [t])), learningRate: 0.5)
    predictions.append(try network.predict(x)[0, 0])
}
print("predictions: \(predictions.map { String(format: "%.3f", $0) }.joined(separator: " → "))")

// snippet.hide
var mismatches = 0
@MainActor func expect(_ agrees: Bool, _ what: String) {
    if !agrees { mismatches += 1; print("MISMATCH: \(what)") }
}
func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(b), 1e-3) }
// The tutorial's figures at the first pass: ŷ = 0.521, E = −ln 0.521, and the
// derivatives it works out by the chain rule.
expect(close(yHat, 0.521), "first prediction \(yHat), the tutorial's 0.521")
expect(close(gradients.loss!, -log(0.521)), "loss \(gradients.loss!), −ln 0.521 = \(-log(0.521))")
expect(close(gradients.layers[1].bias[0], 0.521 - t), "∂E/∂b² \(gradients.layers[1].bias[0]), ŷ − t = −0.479")
for j in 0..<4 {
    let fj = f[0, j]
    expect(close(gradients.layers[1].weights[j, 0], (yHat - t) * fj), "∂E/∂w²_\(j + 1)")
    expect(close(gradients.layers[0].bias[j], (yHat - t) * w2[j, 0] * fj * (1 - fj)), "∂E/∂b¹_\(j + 1)")
}
// The tutorial's observation: each update raises the prediction toward 1.
for i in 1..<predictions.count {
    expect(predictions[i] > predictions[i - 1] && predictions[i] < 1, "update \(i) did not raise the prediction")
}
if mismatches > 0 { exit(1) }
print("the figures agree with seed 04: ŷ = 0.521, its derivatives, and a rising prediction")
// snippet.show
