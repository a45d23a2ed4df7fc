// Seed 05's three blobs: prints the output layer's weight gradient by
// backpropagation and by the fused formula A₁ᵀ·(Ŷ − Y)/n, then the
// classification rate before and after training; exits with status 1 unless
// the two gradients agree and the rate climbs from chance to 0.93 or more.
import BackpropCore
import Foundation

// 500 points around each of (0, −2), (2, 2) and (−2, 2), standard deviation 1.
let train = try Dataset.blobs(samplesPerClass: 500, seed: 1)
let test = try Dataset.blobs(samplesPerClass: 500, seed: 2)
var network = try Network(inputSize: 2, layers: [.dense(3, .sigmoid), .dense(3, .softmax)],
                          loss: .categoricalCrossEntropy, seed: 5)

// The fused gradient on a batch of 8: dL/dZ₂ = (Ŷ − Y)/n, so
// dW₂ = A₁ᵀ·(Ŷ − Y)/n and db₂ = Σ_rows (Ŷ − Y)/n.
let batch = train.rows(at: Array(0..<8))
let gradients = try network.gradients(on: batch)
let probabilities = try network.predict(batch.inputs)          // Ŷ
let hidden = try Network(layers: [network.layers[0]], loss: .meanSquaredError)
    .predict(batch.inputs)                                        // A₁
var delta = probabilities
for (i, label) in batch.labels!.enumerated() {
    for j in 0..<3 { delta[i, j] = (probabilities[i, j] - (j == label ? 1 : 0)) / Double(batch.count) }
}
let weightGradient = try hidden.transposed().multiplied(by: delta)
print("dW₂ by backpropagation:\n\(gradients.layers[1].weights)")
print("A₁ᵀ·(Ŷ − Y)/n:\n\(weightGradient)")

let chance = try network.accuracy(on: test)
try network.train(on: train, epochs: 50, learningRate: 0.5, batchSize: 32)
let accuracy = try network.accuracy(on: test)
print("classification rate: \(chance) untrained, \(accuracy) after 50 epochs")

// snippet.hide
var mismatches = 0
@MainActor func expect(_ agrees: Bool, _ what: String) {
    if !agrees { mismatches += 1; print("MISMATCH: \(what)") }
}
// The tutorial's derivation: the gradient at the logits is Ŷ − Y (per sample).
for r in 0..<3 {
    for c in 0..<3 {
        let (a, b) = (gradients.layers[1].weights[r, c], weightGradient[r, c])
        expect(abs(a - b) <= 1e-12 * max(abs(b), 1e-6), "dW₂[\(r), \(c)]: \(a), A₁ᵀ·(Ŷ − Y)/n: \(b)")
    }
}
for c in 0..<3 {
    let sum = (0..<batch.count).reduce(0.0) { $0 + delta[$1, c] }
    expect(abs(gradients.layers[1].bias[c] - sum) <= 1e-12, "db₂[\(c)]: \(gradients.layers[1].bias[c]), Σ_rows: \(sum)")
}
// The tutorial's figure: the classification rate climbs from chance. The
// blobs overlap (the best possible rate is about 0.97); 0.93 is required.
expect(accuracy >= 0.93, "classification rate \(accuracy), below 0.93")
expect(accuracy > chance, "the classification rate did not climb")
if mismatches > 0 { exit(1) }
print("the figures agree with seed 05: the fused gradient, and a rate that climbs from chance")
// snippet.show
