// Seed 02's neuron and layer: prints the losses and the final parameters,
// and exits with status 1 unless they agree with the figures the notebook
// printed (losses to their printed precision, parameters to 8 decimals).
import BackpropCore
import Foundation

// snippet.hide
// The notebook's printed figures (its cell outputs), copied verbatim.
let notebookNeuronLosses: [Int: Double] = [
    1: 36.0, 2: 33.872397424621624, 3: 31.87054345809546, 50: 1.8194178573235094,
    100: 0.0865178816583512, 200: 0.00019563773612380077,
]
let notebookNeuronWeights = [-3.3990955, -0.20180899, 0.80271349]
let notebookNeuronBias = 0.6009044964517248
let notebookLayerLosses: [Double] = [
    466.56000000000006, 5.32959636083938, 0.41191523404899866, 0.031836212079467595,
    0.002460565465389601, 0.000190172825660145, 1.4698126966451542e-05,
    1.1359926717815175e-06, 8.779889800154524e-08, 6.7858241357822796e-09,
]
let notebookLayerWeights: [[Double]] = [   // neurons × inputs, as printed
    [-0.00698895, -0.01397789, -0.02096684, -0.02795579],
    [0.25975286, 0.11950572, -0.02074143, -0.16098857],
    [0.53548461, 0.27096922, 0.00645383, -0.25806156],
]
let notebookLayerBiases = [-0.00698895, -0.04024714, -0.06451539]
var mismatches = 0
/// Counts and reports a figure that disagrees with the notebook's.
@MainActor func expect(_ agrees: Bool, _ what: String) {
    if !agrees { mismatches += 1; print("MISMATCH: \(what)") }
}
func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), .leastNormalMagnitude) }
// snippet.show

// One neuron, z = x·w + b, a = relu(z), loss (a − 0)², learning rate 0.001:
// the exact starting parameters go in through DenseLayer(weights:bias:activation:).
let neuronLayer = try DenseLayer(weights: Matrix(column: [-3, -1, 2]), bias: [1], activation: .relu)
var neuron = try Network(layers: [neuronLayer], loss: .meanSquaredError)
let x = Matrix(row: [1, -2, 3]), target = Matrix(row: [0])
for iteration in 1...200 {
    let gradients = try neuron.gradients(inputs: x, targets: target)
    let loss = gradients.loss!
    if [1, 2, 3, 50, 100, 200].contains(iteration) { print("Iteration \(iteration), Loss: \(loss)") }
    // snippet.hide
    // The notebook's np.dot rounded to float32 (nnfs.init()), which moved
    // its printed losses by up to 3.2e-6 relative from exact arithmetic.
    if let printed = notebookNeuronLosses[iteration] {
        expect(relativeError(loss, printed) <= 5e-6, "neuron loss at iteration \(iteration): \(loss), notebook \(printed)")
    }
    // snippet.show
    try neuron.apply(gradients, learningRate: 0.001)
}
let w = neuron.layers[0].weights.elements, b = neuron.layers[0].bias[0]
print("Final weights: \(w)")
print("Final bias: \(b)")
// snippet.hide
// The notebook printed the weights with 8 decimals.
for j in 0..<3 { expect(abs(w[j] - notebookNeuronWeights[j]) <= 2e-8, "neuron weight \(j): \(w[j])") }
expect(abs(b - notebookNeuronBias) <= 2e-8, "neuron bias: \(b)")
// snippet.show

// A layer of three ReLU neurons on four inputs, with the loss L = (Σ_j a_j)².
// That is the squared loss (target 0) of a network with one more unit that
// sums the three outputs: an identity unit with weights [1, 1, 1] and bias 0,
// held fixed. Its gradient dL/da_j = 2·Σ a is exactly the notebook's.
let notebookW: [[Double]] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]
var layer = try Network(inputSize: 4, layers: [.dense(3, .relu), .dense(1, .identity)],
                        loss: .meanSquaredError)
try layer.setWeights(Matrix(notebookW).transposed(), layer: 0)   // ours is inputs × neurons
try layer.setBias([0.1, 0.2, 0.3], layer: 0)
try layer.setWeights(Matrix(column: [1, 1, 1]), layer: 1)
try layer.setBias([0], layer: 1)
let input = Matrix(row: [1, 2, 3, 4])
for iteration in 0..<200 {
    var gradients = try layer.gradients(inputs: input, targets: Matrix(row: [0]))
    if iteration % 20 == 0 { print("Iteration \(iteration), Loss: \(gradients.loss!)") }
    // snippet.hide
    if iteration % 20 == 0 {
        let printed = notebookLayerLosses[iteration / 20]
        expect(relativeError(gradients.loss!, printed) <= 1e-7,
               "layer loss at iteration \(iteration): \(gradients.loss!), notebook \(printed)")
    }
    // snippet.show
    gradients.layers[1].weights = try Matrix(rows: 3, columns: 1)   // the summing unit stays fixed
    gradients.layers[1].bias = [0]
    try layer.apply(gradients, learningRate: 0.001)
}
let finalW = layer.layers[0].weights.transposed()   // neurons × inputs, as the notebook prints it
print("Final weights:\n\(finalW)")
print("Final biases: \(layer.layers[0].bias)")
// snippet.hide
for i in 0..<3 {
    for j in 0..<4 {
        expect(abs(finalW[i, j] - notebookLayerWeights[i][j]) <= 2e-8, "layer weight [\(i), \(j)]: \(finalW[i, j])")
    }
    expect(abs(layer.layers[0].bias[i] - notebookLayerBiases[i]) <= 2e-8, "layer bias \(i)")
}
if mismatches > 0 {
    print("\(mismatches) figures disagree with seed 02's notebook")
    exit(1)
}
print("every figure agrees with seed 02's notebook")
// snippet.show
