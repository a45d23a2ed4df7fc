import BackpropCore
import BackpropTestSupport
import Foundation
import Testing
@testable import BackpropTabular

/// A model's evaluation of finite inputs whose results overflow: finite
/// numbers or ``BackpropError/overflow(what:row:)`` naming the row, as the
/// network's own evaluations (OverflowTests in the core's tests).
@Suite("Overflowing model results")
struct ModelOverflowTests {
    /// A row whose output saturates at 1: the loss of that infinite logit
    /// is not a number.
    @Test func lossOfASaturatedOutput() throws {
        let net = try OverflowingNetworks.saturating(secondWeight: 1e200)
        let x = try OverflowingNetworks.inputs(rows: 3, hot: 1)
        let model = try TabularModel(network: net, task: .classification, featureNames: ["a", "b"], labelName: "y",
                              classes: ClassLabels(names: ["no", "yes"]), inputScaling: nil)
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 1)) {
            try model.evaluate(features: x, classIndices: [0, 1, 0])
        }
    }

    /// Finite outputs of 10¹⁶⁰ whose squared error is infinite.
    @Test func lossOfFiniteOutputs() throws {
        let net = try OverflowingNetworks.squaring()
        let x = try Matrix([[0.0], [0.0], [1.0]])
        let model = try TabularModel(network: net, task: .regression, featureNames: ["a"], labelName: "y",
                              classes: nil, inputScaling: nil)
        #expect(throws: BackpropError.overflow(what: "the squared error", row: 2)) {
            try model.evaluate(features: x, values: [0, 0, 0])
        }
        #expect(try model.predictValues(x) == [0, 0, 1e160])
        // Target scaling by 10¹⁶⁰ takes the finite output past the largest double.
        let scaled = try TabularModel(network: net, task: .regression, featureNames: ["a"], labelName: "y", classes: nil,
                               inputScaling: nil, targetScaling: Standardizer(mean: [0], scale: [1e160]))
        #expect(throws: BackpropError.overflow(what: "the prediction in the label's units", row: 2)) {
            try scaled.predictValues(x)
        }
    }
}

@Suite("Reference kernels and model files")
struct ReferenceKernelsModelFileTests {
    /// The choice is made at run time and not saved: a model written with
    /// the reference selected reads back with the default.
    @Test func theChoiceIsNotSaved() throws {
        var net = try Network(inputSize: 2, layers: [.dense(3, .tanh), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 3)
        func encoded(_ net: Network<Double>) throws -> Data {
            ModelFile.encode(try TabularModel(network: net, task: .classification, featureNames: ["a", "b"],
                                       labelName: "y", classes: try ClassLabels(names: ["n", "p"]),
                                       inputScaling: nil))
        }
        let plain = try encoded(net)
        net.kernels = .reference
        #expect(try encoded(net) == plain)
        let read = try ModelFile.decode(try encoded(net), source: "memory")
        #expect(read.network.kernels == .automatic)
    }
}
