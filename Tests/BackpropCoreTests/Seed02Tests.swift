import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Seed 02 through the Swift API: one ReLU neuron, then a layer of three.
///
/// Two references each. Exact arithmetic (closed form, or rational
/// arithmetic computed offline) at 1e-12 relative. And the
/// notebook's printed figures, at the precision they actually carry: they
/// differ from exact arithmetic in the 8th significant digit (the neuron's
/// step-200 loss is 1.9563778573e-4 exactly, the notebook printed
/// 1.9563773612e-4), so they are held to 1e-7 relative for losses and 2e-8
/// absolute for parameters (printed with 8 decimals).
@Suite("Seed 02: single neuron and layer")
struct Seed02Tests {
    @Test func singleNeuronMatchesExactArithmeticAndNotebook() throws {
        var net = try Network(inputSize: 3, layers: [.dense(1, .relu)], loss: .meanSquaredError)
        try net.setWeights(Matrix(column: [-3, -1, 2]), layer: 0)
        try net.setBias([1], layer: 0)
        let x = Matrix(row: [1, -2, 3]), target = Matrix(row: [0])

        var losses: [Double] = []
        for _ in 0..<200 {
            let g = try net.gradients(inputs: x, targets: target)
            losses.append(try #require(g.loss))
            try net.apply(g, learningRate: 0.001)
        }

        // z starts at 6 and shrinks by exactly 1 − 0.002·(|x|² + 1) = 0.97 per
        // step, so loss_i = 36·0.97^(2(i−1)) and w = w0 − 0.002·x·Σ z_i.
        for (i, loss) in losses.enumerated() {
            #expect(close(loss, 36 * pow(0.97, Double(2 * i)), rel: 1e-12), "step \(i + 1)")
            // The notebook ran this cell after `nnfs.init()`, which patches
            // np.dot to round its result to float32: its printed losses sit up
            // to 3.2e-6 (relative) from exact arithmetic (iteration 197), so
            // they are checked at 5e-6, just above that documented scatter.
            // (The C harness reproduces those figures bit for bit by rounding
            // the dot product to float.)
            #expect(close(loss, Seed02Notebook.neuronLosses[i], rel: 5e-6), "step \(i + 1) vs notebook")
        }
        let sumZ = 6 * (1 - pow(0.97, 200)) / 0.03
        let exactW = zip([-3.0, -1, 2], [1.0, -2, 3]).map { w0, xi in w0 - 0.002 * xi * sumZ }
        let w = net.layers[0].weights.elements, b = net.layers[0].bias[0]
        for j in 0..<3 {
            #expect(close(w[j], exactW[j], rel: 1e-12))
            #expect(abs(w[j] - Seed02Notebook.neuronWeights[j]) <= 2e-8)
        }
        #expect(close(b, 1 - 0.002 * sumZ, rel: 1e-12))
        #expect(abs(b - Seed02Notebook.neuronBias) <= 2e-8)
    }

    /// The layer example through `forward(_:)` and `backward(_:outputGradient:)`:
    /// the loss `L = (Σ relu(z))²` is not one of the library's, so the caller
    /// supplies `dL/da = 2y` for every neuron.
    @Test func layerMatchesExactArithmeticAndNotebook() throws {
        // The notebook stores W as neurons × inputs; ours is inputs × neurons.
        let notebookW: [[Double]] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]
        var net = try Network(inputSize: 4, layers: [.dense(3, .relu)], loss: .meanSquaredError)
        try net.setWeights(Matrix(notebookW).transposed(), layer: 0)
        try net.setBias([0.1, 0.2, 0.3], layer: 0)
        let x = Matrix(row: [1, 2, 3, 4])

        var losses: [Double] = []
        for _ in 0..<200 {
            let trace = try net.forward(x)
            let y = trace.outputs.elements.reduce(0, +)
            losses.append(y * y)
            let g = try net.backward(trace, outputGradient: Matrix(row: [2 * y, 2 * y, 2 * y]))
            try net.apply(g, learningRate: 0.001)
        }

        // Exact arithmetic. The loss is compared relative to max(L, 1e-6):
        // L = y² with y = Σ relu(z_j) over three z_j of size ~0.1, so once L
        // drops below 1e-6 the cancellation in y magnifies unit roundoff by
        // |z|/|y| > 100, and no double-precision run stays within 1e-12
        // relative of exact arithmetic (numpy's own float64 run, the
        // notebook's second, is 5.6e-12 off at iteration 180).
        for i in 0..<200 {
            let exact = Seed02Exact.layerLosses[i]
            #expect(abs(losses[i] - exact) <= 1e-12 * max(exact, 1e-6), "iteration \(i)")
        }
        let w = net.layers[0].weights, b = net.layers[0].bias
        for i in 0..<3 {
            for j in 0..<4 { #expect(close(w[j, i], Seed02Exact.layerWeights[i][j], rel: 1e-12)) }
            #expect(close(b[i], Seed02Exact.layerBiases[i], rel: 1e-12))
        }

        // The notebook. Its second run (the "new notation" cell) reproduces
        // double-precision arithmetic; its first run ran under nnfs.init()'s
        // float32 np.dot and printed losses up to 1.3e-5 (relative) from exact
        // arithmetic (8.779778e-8 for 8.779890e-8 at iteration 160), so only
        // that run's printed parameters are compared.
        for (k, iteration) in stride(from: 0, to: 200, by: 20).enumerated() {
            #expect(close(losses[iteration], Seed02Notebook.layerLossesRun2[k], rel: 1e-7), "iteration \(iteration)")
        }
        for printed in [Seed02Notebook.layerWeightsRun1, Seed02Notebook.layerWeightsRun2] {
            for i in 0..<3 { for j in 0..<4 { #expect(abs(w[j, i] - printed[i][j]) <= 2e-8) } }
        }
        for i in 0..<3 { #expect(abs(b[i] - Seed02Notebook.layerBiases[i]) <= 2e-8) }
    }
}
