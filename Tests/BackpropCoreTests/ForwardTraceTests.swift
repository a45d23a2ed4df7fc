import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// `Network.forward(_:)` (a ``ForwardTrace`` of every layer's `Z_l` and
/// `A_l`), `Network.backward(_:outputGradient:)` through exactly that
/// state, the per-layer `dL/dZ_l` in ``LayerGradients/preActivations``, and
/// gradients built by hand.
///
/// References: plain Swift loops in double precision written here —
/// `Z = A·W + b`, `f`, the delta rule — on the very values the network
/// holds (its parameters and inputs in its precision, converted exactly to
/// double), and central finite differences of a loss with respect to `Z_l`.
///
/// Tolerances, norm-wise per layer (`max |got − want| / max |want|`): the C
/// engine sums in other orders than these loops, with or without FMA, so
/// they differ by rounding only, of the order of `u·√K` per layer for
/// sums of `K` terms (`u` the unit roundoff); the bound is 32 units of
/// roundoff per layer and per `√K`, `K` the widest layer — the C harness's
/// bound for its engines (test_reference.c). A wrong layer, a missing
/// derivative or a stale buffer is off by far more.
@Suite("Forward trace and backward")
struct ForwardTraceTests {
    // MARK: - Plain references (double precision)

    /// One layer's parameters in double: `weights[i][j]` is `W_ij` (`n_in × n_out`).
    struct PlainLayer {
        var weights: [[Double]]
        var bias: [Double]
        var activation: Activation
    }

    static func plainLayers<S: NetworkScalar>(of network: Network<S>) -> [PlainLayer] {
        network.layers.map { layer in
            PlainLayer(weights: layer.weights.nestedRows.map { $0.map(Double.init) },
                       bias: layer.bias.map(Double.init), activation: layer.activation)
        }
    }

    static func rows<S: NetworkScalar>(_ m: Matrix<S>) -> [[Double]] { m.nestedRows.map { $0.map(Double.init) } }

    /// `f(z)` of one row.
    static func activate(_ activation: Activation, _ z: [Double]) -> [Double] {
        switch activation {
        case .identity: return z
        case .relu: return z.map { $0 > 0 ? $0 : 0 }
        case let .leakyReLU(slope): return z.map { $0 > 0 ? $0 : slope * $0 }
        case .sigmoid: return z.map { 1 / (1 + exp(-$0)) }
        case .tanh: return z.map { Foundation.tanh($0) }
        case .softmax:
            let m = z.max()!
            let e = z.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    /// `dL/dz` of one row from `dL/da` (`f'(z) ⊙ d`; softmax: its Jacobian
    /// times `d`). The ReLU family takes its left derivative at 0.
    static func chain(_ activation: Activation, _ z: [Double], _ d: [Double]) -> [Double] {
        switch activation {
        case .identity: return d
        case .relu: return zip(z, d).map { $0 > 0 ? $1 : 0 }
        case let .leakyReLU(slope): return zip(z, d).map { $0 > 0 ? $1 : slope * $1 }
        case .sigmoid: return zip(z, d).map { z, d in let s = 1 / (1 + exp(-z)); return d * s * (1 - s) }
        case .tanh: return zip(z, d).map { z, d in let t = Foundation.tanh(z); return d * (1 - t * t) }
        case .softmax:
            let s = activate(.softmax, z)
            let dot = zip(s, d).reduce(0) { $0 + $1.0 * $1.1 }
            return zip(s, d).map { $0 * ($1 - dot) }
        }
    }

    /// `in · W + b`, row by row.
    static func affine(_ input: [[Double]], _ layer: PlainLayer) -> [[Double]] {
        input.map { row in
            (0..<layer.bias.count).map { j in
                zip(row, layer.weights).reduce(0) { $0 + $1.0 * $1.1[j] } + layer.bias[j]
            }
        }
    }

    /// `Z_l` and `A_l` of every layer from layer `first` on, starting from
    /// `input` (`A_{first−1}`).
    static func plainForward(_ layers: [PlainLayer], from first: Int = 0,
                             input: [[Double]]) -> [(z: [[Double]], a: [[Double]])] {
        var a = input
        var out: [(z: [[Double]], a: [[Double]])] = []
        for layer in layers[first...] {
            let z = affine(a, layer)
            a = z.map { activate(layer.activation, $0) }
            out.append((z, a))
        }
        return out
    }

    /// The delta rule from `dL/dA_L`: `δ_L = dA ⊙ f'_L(Z_L)`,
    /// `δ_{l−1} = (δ_l · W_lᵀ) ⊙ f'_{l−1}(Z_{l−1})`, with the derivatives taken
    /// at `z` (the trace's pre-activations, so that a ReLU branch is the
    /// engine's). Returns every `δ_l` and `dL/dX = δ_0 · W_0ᵀ`.
    static func plainDeltas(_ layers: [PlainLayer], z: [[[Double]]],
                            outputGradient: [[Double]]) -> (deltas: [[[Double]]], inputs: [[Double]]) {
        var deltas = [[[Double]]](repeating: [], count: layers.count)
        var dA = outputGradient
        for l in layers.indices.reversed() {
            deltas[l] = zip(z[l], dA).map { chain(layers[l].activation, $0, $1) }
            dA = deltas[l].map { row in
                layers[l].weights.map { w in zip(row, w).reduce(0) { $0 + $1.0 * $1.1 } }
            }
        }
        return (deltas, dA)
    }

    /// `Aᵀ · δ` (`n_in × n_out`) and `Σ_rows δ`.
    static func parameterGradients(input: [[Double]], delta: [[Double]]) -> (weights: [[Double]], bias: [Double]) {
        let nIn = input[0].count, nOut = delta[0].count
        let w = (0..<nIn).map { i in (0..<nOut).map { j in zip(input, delta).reduce(0) { $0 + $1.0[i] * $1.1[j] } } }
        let b = (0..<nOut).map { j in delta.reduce(0) { $0 + $1[j] } }
        return (w, b)
    }

    /// `max |got − want| / max |want|` over two equally shaped arrays
    /// (`max |got − want|` when `want` is all zeros).
    static func difference(_ got: [[Double]], _ want: [[Double]]) -> Double {
        var d = 0.0, m = 0.0
        for (g, w) in zip(got.joined(), want.joined()) {
            d = max(d, abs(g - w))
            m = max(m, abs(w))
        }
        #expect(got.count == want.count && got.first?.count == want.first?.count, "shapes differ")
        return m == 0 ? d : d / m
    }

    /// 32 units of roundoff per layer and per `√K`, `K` the widest layer.
    static func tolerance<S: NetworkScalar>(_: S.Type, layers: Int, widest: Int) -> Double {
        32 * Double(layers + 1) * Double(widest).squareRoot() * Double(S.ulpOfOne) / 2
    }

    // MARK: - Test networks

    static let activations: [Activation] = [.identity, .relu, .leakyReLU(slope: 0.1), .sigmoid, .tanh, .softmax]

    /// Two random networks with `activation` in every layer (mean squared
    /// error, which takes any output): a narrow one on 10 rows (the engine's
    /// plain loops) and a wide one on 37 rows (the blocked GEMM), with inputs
    /// uniform on [−1, 1).
    static func networks<S: NetworkScalar>(_: S.Type, activation: Activation,
                                           seed: UInt64) throws -> [(network: Network<S>, inputs: Matrix<S>)] {
        var rng = TestRandom(seed: seed)
        func net(widths: [Int], rows: Int) throws -> (Network<S>, Matrix<S>) {
            let inputSize = 1 + rng.int(below: 5)
            let network = try Network<S>(inputSize: inputSize, layers: widths.map { .dense($0, activation) },
                                         loss: .meanSquaredError, seed: rng.next())
            return (network, rng.matrix(rows, inputSize) { 2 * $0.uniform() - 1 }.converted(to: S.self))
        }
        return [try net(widths: [2 + rng.int(below: 7), 2 + rng.int(below: 7), 2 + rng.int(below: 3)], rows: 10),
                try net(widths: [40, 9 + rng.int(below: 24), 2 + rng.int(below: 4)], rows: 37)]
    }

    static func widest<S>(_ network: Network<S>) -> Int {
        network.layers.reduce(network.inputSize) { max($0, $1.outputSize) }
    }

    // MARK: - The trace

    /// Every layer's `Z_l` and `A_l` against plain `X·W + b` and `f`, for
    /// every activation, in both precisions; `outputs` equals `predict` and
    /// the last layer's activations.
    @Test(arguments: activations)
    func traceMatchesPlainComputation(activation: Activation) throws {
        try checkTrace(Double.self, activation: activation)
        try checkTrace(Float.self, activation: activation)
    }

    func checkTrace<S: NetworkScalar>(_: S.Type, activation: Activation) throws {
        for (network, x) in try Self.networks(S.self, activation: activation, seed: 11) {
            let trace = try network.forward(x)
            let want = Self.plainForward(Self.plainLayers(of: network), input: Self.rows(x))
            let tol = Self.tolerance(S.self, layers: network.layers.count, widest: Self.widest(network))
            #expect(trace.inputs == x)
            #expect(trace.layers.count == network.layers.count)
            for (l, layer) in trace.layers.enumerated() {
                #expect(layer.preActivations.rows == x.rows && layer.preActivations.columns == network.layers[l].outputSize)
                #expect(layer.activations.rows == x.rows && layer.activations.columns == network.layers[l].outputSize)
                let dz = Self.difference(Self.rows(layer.preActivations), want[l].z)
                let da = Self.difference(Self.rows(layer.activations), want[l].a)
                #expect(dz <= tol, "\(S.self) \(activation): Z of layer \(l) off by \(dz)")
                #expect(da <= tol, "\(S.self) \(activation): A of layer \(l) off by \(da)")
            }
            #expect(trace.outputs == trace.layers[trace.layers.count - 1].activations)
            #expect(trace.outputs == (try network.predict(x)), "\(S.self) \(activation): outputs are not predict's")
        }
    }

    /// A batch of more than 1024 rows runs in several engine calls: the
    /// trace and the backward pass still cover every row, and the
    /// parameter gradients sum over all of them.
    @Test func largeBatchesRunInChunks() throws {
        let network = try Network(inputSize: 3, layers: [.dense(6, .tanh), .dense(2, .identity)],
                                  loss: .meanSquaredError, seed: 4)
        let (x, dA) = Self.batch(of: network, rows: 2100, seed: 12)
        let trace = try network.forward(x)
        #expect(trace.outputs == (try network.predict(x)))
        let layers = Self.plainLayers(of: network)
        let want = Self.plainForward(layers, input: Self.rows(x))
        let tol = Self.tolerance(Double.self, layers: 2, widest: 2100)
        for l in 0..<2 {
            #expect(Self.difference(Self.rows(trace.layers[l].preActivations), want[l].z) <= tol)
            #expect(Self.difference(Self.rows(trace.layers[l].activations), want[l].a) <= tol)
        }
        let g = try network.backward(trace, outputGradient: dA)
        let plain = Self.plainDeltas(layers, z: trace.layers.map { Self.rows($0.preActivations) },
                                     outputGradient: Self.rows(dA))
        for l in 0..<2 {
            let delta = try #require(g.layers[l].preActivations)
            #expect(Self.difference(Self.rows(delta), plain.deltas[l]) <= tol)
            let input = l == 0 ? Self.rows(x) : Self.rows(trace.layers[l - 1].activations)
            let p = Self.parameterGradients(input: input, delta: plain.deltas[l])
            #expect(Self.difference(Self.rows(g.layers[l].weights), p.weights) <= tol, "dW of layer \(l)")
            #expect(Self.difference([g.layers[l].bias.map { Double($0) }], [p.bias]) <= tol, "db of layer \(l)")
        }
        #expect(Self.difference(Self.rows(g.inputs), plain.inputs) <= tol)
    }

    // MARK: - dL/dZ

    /// `backward`'s `dL/dZ_l`, `dL/dW_l`, `dL/db_l` and `dL/dX` against the
    /// plain delta rule, for every activation, in both precisions.
    @Test(arguments: activations)
    func backwardMatchesThePlainDeltaRule(activation: Activation) throws {
        try checkBackward(Double.self, activation: activation)
        try checkBackward(Float.self, activation: activation)
    }

    func checkBackward<S: NetworkScalar>(_: S.Type, activation: Activation) throws {
        var rng = TestRandom(seed: 13)
        for (network, x) in try Self.networks(S.self, activation: activation, seed: 14) {
            let trace = try network.forward(x)
            let dA = rng.matrix(x.rows, network.outputSize) { 2 * $0.uniform() - 1 }.converted(to: S.self)
            let g = try network.backward(trace, outputGradient: dA)
            let layers = Self.plainLayers(of: network)
            let plain = Self.plainDeltas(layers, z: trace.layers.map { Self.rows($0.preActivations) },
                                         outputGradient: Self.rows(dA))
            let tol = Self.tolerance(S.self, layers: layers.count, widest: max(Self.widest(network), x.rows))
            #expect(g.loss == nil)
            for l in layers.indices {
                let delta = try #require(g.layers[l].preActivations)
                let e = Self.difference(Self.rows(delta), plain.deltas[l])
                #expect(e <= tol, "\(S.self) \(activation): dL/dZ of layer \(l) off by \(e)")
                let input = l == 0 ? Self.rows(x) : Self.rows(trace.layers[l - 1].activations)
                let p = Self.parameterGradients(input: input, delta: plain.deltas[l])
                #expect(Self.difference(Self.rows(g.layers[l].weights), p.weights) <= tol, "dW of layer \(l)")
                #expect(Self.difference([g.layers[l].bias.map { Double($0) }], [p.bias]) <= tol, "db of layer \(l)")
            }
            #expect(Self.difference(Self.rows(g.inputs), plain.inputs) <= tol, "\(S.self) \(activation): dL/dX")
        }
    }

    /// `dL/dZ_l` against central differences of a loss the library does not
    /// know, `L = Σ c ⊙ A_L + ½ Σ A_L²` (so `dL/dA_L = c + A_L`), taken by
    /// perturbing each element of `Z_l` and running the layers above in
    /// plain loops. Elements whose perturbation moves a ReLU-type
    /// pre-activation across its kink are skipped (and counted).
    @Test(arguments: activations)
    func deltasMatchFiniteDifferences(activation: Activation) throws {
        var rng = TestRandom(seed: 15)
        let network = try Network(inputSize: 3, layers: [.dense(5, activation), .dense(4, activation), .dense(3, activation)],
                                  loss: .meanSquaredError, seed: 8)
        let x = rng.matrix(4, 3) { 2 * $0.uniform() - 1 }
        let c = rng.matrix(4, 3) { 2 * $0.uniform() - 1 }
        let trace = try network.forward(x)
        let outputs = Self.rows(trace.outputs), weights = Self.rows(c)
        let dA = try Matrix(zip(weights, outputs).map { zip($0, $1).map { $0 + $1 } })
        let g = try network.backward(trace, outputGradient: dA)
        let layers = Self.plainLayers(of: network)
        func loss(_ a: [[Double]]) -> Double {
            zip(weights.joined(), a.joined()).reduce(0) { $0 + $1.0 * $1.1 + 0.5 * $1.1 * $1.1 }
        }
        func signs(_ passes: [(z: [[Double]], a: [[Double]])]) -> [Bool] { passes.flatMap { $0.z.joined().map { $0 > 0 } } }
        var judged = 0, skipped = 0
        for l in layers.indices {
            let z = Self.rows(trace.layers[l].preActivations)
            let delta = Self.rows(try #require(g.layers[l].preActivations))
            let scale = delta.joined().map(abs).max()!
            let base = Self.plainForward(layers, from: l + 1, input: z.map { Self.activate(layers[l].activation, $0) })
            for i in z.indices {
                for j in z[i].indices {
                    let h = 1e-6 * max(1, abs(z[i][j]))
                    func evaluate(_ step: Double) -> (loss: Double, signs: [Bool], own: Bool) {
                        var moved = z
                        moved[i][j] += step
                        let a = moved.map { Self.activate(layers[l].activation, $0) }
                        let passes = Self.plainForward(layers, from: l + 1, input: a)
                        return (loss(passes.last?.a ?? a), signs(passes), moved[i][j] > 0)
                    }
                    let up = evaluate(h), down = evaluate(-h)
                    if activation.hasKink && (up.own != down.own || up.signs != signs(base) || down.signs != signs(base)) {
                        skipped += 1
                        continue
                    }
                    let numeric = (up.loss - down.loss) / (2 * h)
                    judged += 1
                    #expect(abs(delta[i][j] - numeric) <= 1e-6 * max(abs(numeric), scale),
                            "\(activation): dL/dZ[\(l)][\(i), \(j)] = \(delta[i][j]), finite difference \(numeric)")
                }
            }
        }
        #expect(judged > 0 && skipped <= judged / 10, "\(judged) judged, \(skipped) skipped at a kink")
    }

    /// `gradients(on:)` fills `dL/dZ_l` too: the loss's gradient through the
    /// output layer (mean squared error), or the fused `(A − Y)/n` of
    /// softmax cross-entropy and `(A − Y)/(n·k)` of sigmoid cross-entropy,
    /// then the delta rule; its parameter gradients follow from them.
    @Test func gradientsCarryTheDeltas() throws {
        try checkLibraryLossDeltas(Double.self)
        try checkLibraryLossDeltas(Float.self)
    }

    func checkLibraryLossDeltas<S: NetworkScalar>(_: S.Type) throws {
        var rng = TestRandom(seed: 16)
        let n = 12
        let x = rng.matrix(n, 4) { 2 * $0.uniform() - 1 }.converted(to: S.self)
        let cases: [(Loss, Activation, Matrix<S>)] = [
            (.meanSquaredError, .tanh, rng.matrix(n, 3) { 2 * $0.uniform() - 1 }.converted(to: S.self)),
            (.categoricalCrossEntropy, .softmax,
             try Matrix((0..<n).map { _ in let k = rng.int(below: 3); return (0..<3).map { $0 == k ? S(1) : S(0) } })),
            (.binaryCrossEntropy, .sigmoid, rng.matrix(n, 3) { Double($0.int(below: 2)) }.converted(to: S.self)),
        ]
        for (loss, output, y) in cases {
            let network = try Network<S>(inputSize: 4, layers: [.dense(10, .relu), .dense(3, output)],
                                         loss: loss, seed: 21)
            let g = try network.gradients(inputs: x, targets: y)
            let trace = try network.forward(x)
            let a = Self.rows(trace.outputs), t = Self.rows(y)
            let layers = Self.plainLayers(of: network)
            let z = trace.layers.map { Self.rows($0.preActivations) }
            let k = Double(network.outputSize)
            var plain: [[[Double]]]
            switch loss {
            case .meanSquaredError:
                let dA = zip(a, t).map { zip($0, $1).map { 2 * ($0 - $1) / (Double(n) * k) } }
                plain = Self.plainDeltas(layers, z: z, outputGradient: dA).deltas
            case .categoricalCrossEntropy, .binaryCrossEntropy:
                let divisor = loss == .categoricalCrossEntropy ? Double(n) : Double(n) * k
                let top = zip(a, t).map { zip($0, $1).map { ($0 - $1) / divisor } }
                // δ_L = top itself (as through an identity output), then the delta rule
                var fused = layers
                fused[1].activation = .identity
                plain = Self.plainDeltas(fused, z: z, outputGradient: top).deltas
            }
            let tol = Self.tolerance(S.self, layers: 2, widest: n)
            for l in 0..<2 {
                let delta = try #require(g.layers[l].preActivations)
                let e = Self.difference(Self.rows(delta), plain[l])
                #expect(e <= tol, "\(S.self) \(loss): dL/dZ of layer \(l) off by \(e)")
                let input = l == 0 ? Self.rows(x) : Self.rows(trace.layers[0].activations)
                let p = Self.parameterGradients(input: input, delta: plain[l])
                #expect(Self.difference(Self.rows(g.layers[l].weights), p.weights) <= tol, "\(S.self) \(loss): dW of layer \(l)")
            }
        }
    }

    // MARK: - The trace belongs to its parameters

    /// Inputs and a `dL/dA_L` for `network`, `rows` rows, uniform on [−1, 1).
    static func batch(of network: Network<Double>, rows: Int, seed: UInt64) -> (Matrix<Double>, Matrix<Double>) {
        var rng = TestRandom(seed: seed)
        return (rng.matrix(rows, network.inputSize) { 2 * $0.uniform() - 1 },
                rng.matrix(rows, network.outputSize) { 2 * $0.uniform() - 1 })
    }

    /// A network, a batch, its trace and the gradients of a fixed `dL/dA`.
    static func fixture() throws -> (Network<Double>, Matrix<Double>, ForwardTrace<Double>, Matrix<Double>, Gradients<Double>) {
        let network = try Network(inputSize: 3, layers: [.dense(6, .tanh), .dense(2, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 3)
        let (x, dA) = batch(of: network, rows: 5, seed: 17)
        let trace = try network.forward(x)
        return (network, x, trace, dA, try network.backward(trace, outputGradient: dA))
    }

    /// After `setWeights`, `setBias`, `apply` or `train` the trace is
    /// refused; with the same values set back it is accepted again, and
    /// gives the same gradients as before.
    @Test func changedParametersAreRefused() throws {
        let (original, x, trace, dA, before) = try Self.fixture()
        let saved = original.layers
        func restore(_ network: inout Network<Double>) throws {
            for (l, layer) in saved.enumerated() {
                try network.setWeights(layer.weights, layer: l)
                try network.setBias(layer.bias, layer: l)
            }
        }
        let changes: [(String, (inout Network<Double>) throws -> Void)] = [
            ("setWeights", { net in
                var w = saved[1].weights.elements
                w[0] += 0.25
                try net.setWeights(Matrix(rows: 6, columns: 2, elements: w), layer: 1)
            }),
            ("setBias", { net in try net.setBias([0.5, 0, 0, 0, 0, 0], layer: 0) }),
            ("apply", { net in try net.apply(before, learningRate: 0.1) }),
            ("train", { net in try net.train(inputs: x, labels: [0, 1, 1, 0, 1], epochs: 1, learningRate: 0.1) }),
        ]
        for (name, change) in changes {
            var network = original
            try change(&network)
            #expect(throws: BackpropError.parametersChangedSinceForward, "after \(name)") {
                try network.backward(trace, outputGradient: dA)
            }
            try restore(&network)
            #expect(try network.backward(trace, outputGradient: dA) == before, "\(name) undone")
        }
        // Setting the very same values is no change at all.
        var same = original
        try same.setWeights(saved[0].weights, layer: 0)
        #expect(try same.backward(trace, outputGradient: dA) == before)
        // A copy changed does not affect the original.
        var copy = original
        try copy.setBias([1, 1], layer: 1)
        #expect(try original.backward(trace, outputGradient: dA) == before)
        #expect(throws: BackpropError.parametersChangedSinceForward) { try copy.backward(trace, outputGradient: dA) }
    }

    /// Threads and the kernel set are not parameters: the trace is
    /// accepted, and the backward pass, run on the trace's kernel set,
    /// gives the same gradients bit for bit.
    @Test func threadsAndKernelsAreNotParameters() throws {
        let (original, _, trace, dA, before) = try Self.fixture()
        var network = original
        network.threads = 2
        #expect(try network.backward(trace, outputGradient: dA) == before)
        network.kernels = .reference
        #expect(try network.backward(trace, outputGradient: dA) == before)
    }

    /// A trace from another network — another shape, or the same shape with
    /// other weights — is refused.
    @Test func tracesOfOtherNetworksAreRefused() throws {
        let (network, x, _, dA, _) = try Self.fixture()
        let wider = try Network(inputSize: 3, layers: [.dense(7, .tanh), .dense(2, .sigmoid)],
                                loss: .binaryCrossEntropy, seed: 3)
        let otherActivation = try Network(inputSize: 3, layers: [.dense(6, .relu), .dense(2, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 3)
        let reseeded = try Network(inputSize: 3, layers: [.dense(6, .tanh), .dense(2, .sigmoid)],
                                   loss: .binaryCrossEntropy, seed: 99)
        for other in [wider, otherActivation, reseeded] {
            let foreign = try other.forward(x)
            #expect(throws: BackpropError.parametersChangedSinceForward) {
                try network.backward(foreign, outputGradient: dA)
            }
        }
        let fewerInputs = try Network(inputSize: 2, layers: [.dense(6, .tanh), .dense(2, .sigmoid)],
                                      loss: .binaryCrossEntropy, seed: 3)
        let narrow = try fewerInputs.forward(Matrix(rows: 5, columns: 2, repeating: 0.5))
        #expect(throws: BackpropError.parametersChangedSinceForward) { try network.backward(narrow, outputGradient: dA) }
    }

    /// `outputGradient` must be `n × outputSize` and finite.
    @Test func badOutputGradientsAreRefused() throws {
        let (network, _, trace, dA, _) = try Self.fixture()
        #expect(throws: BackpropError.shapeMismatch(what: "output gradient", expected: "5 × 2", got: "4 × 2")) {
            try network.backward(trace, outputGradient: Matrix(rows: 4, columns: 2, repeating: 1))
        }
        #expect(throws: BackpropError.shapeMismatch(what: "output gradient", expected: "5 × 2", got: "5 × 3")) {
            try network.backward(trace, outputGradient: Matrix(rows: 5, columns: 3, repeating: 1))
        }
        for bad in [Double.nan, .infinity, -.infinity] {
            var elements = dA.elements
            elements[7] = bad
            #expect(throws: BackpropError.nonFinite(what: "output gradient", row: 3, column: 1)) {
                try network.backward(trace, outputGradient: Matrix(rows: 5, columns: 2, elements: elements))
            }
        }
    }

    /// `forward` validates like `predict`: shape, empty and non-finite
    /// inputs, and an overflow in the outputs.
    @Test func forwardValidatesLikePredict() throws {
        let (network, _, _, _, _) = try Self.fixture()
        #expect(throws: BackpropError.shapeMismatch(what: "inputs", expected: "n × 3", got: "2 × 2")) {
            try network.forward(Matrix(rows: 2, columns: 2, repeating: 0))
        }
        #expect(throws: BackpropError.nonFinite(what: "inputs", row: 1, column: 2)) {
            try network.forward(Matrix([[0.0, 0, 0], [0, 0, .nan]]))
        }
        var huge = try Network(inputSize: 1, layers: [.dense(1, .identity)], loss: .meanSquaredError)
        try huge.setWeights(Matrix([[1e308]]), layer: 0)
        let x = try Matrix(column: [0.5, 10])
        let predicted = #expect(throws: BackpropError.self) { try huge.predict(x) }
        let traced = #expect(throws: BackpropError.self) { try huge.forward(x) }
        #expect(predicted == .overflow(what: "the pre-activations of layer 0", row: 1))
        #expect(traced == predicted)
    }

    // MARK: - Gradients built by hand

    /// `apply` with hand-built gradients takes the step `W − η·G`, `b − η·g`
    /// exactly (`η = 0.5` and gradients of a few bits, so `η·G` is exact and
    /// the step rounds once), ignores `preActivations`, and checks shapes and
    /// finiteness.
    @Test func handBuiltGradientsApply() throws {
        try checkHandBuiltGradients(Double.self)
        try checkHandBuiltGradients(Float.self)
    }

    func checkHandBuiltGradients<S: NetworkScalar>(_: S.Type) throws {
        var rng = TestRandom(seed: 18)
        var network = try Network<S>(inputSize: 3, layers: [.dense(4, .relu), .dense(2, .identity)],
                                     loss: .meanSquaredError, seed: 5)
        let before = network.layers
        func dyadic() -> S { S(rng.int(below: 65) - 32) / 8 }
        let layers = before.map { layer in
            LayerGradients(weights: try! Matrix(rows: layer.inputSize, columns: layer.outputSize,
                                                elements: (0..<layer.weights.elements.count).map { _ in dyadic() }),
                           bias: (0..<layer.outputSize).map { _ in dyadic() },
                           // not read by apply: any shape, any value
                           preActivations: try! Matrix(rows: 1, columns: 1, elements: [S.nan]))
        }
        let gradients = Gradients(layers: layers, inputs: try Matrix(rows: 1, columns: 3, repeating: 0))
        #expect(gradients.loss == nil)
        try network.apply(gradients, learningRate: 0.5)
        for (l, layer) in network.layers.enumerated() {
            #expect(layer.weights.elements == zip(before[l].weights.elements, layers[l].weights.elements).map { $0 - 0.5 * $1 })
            #expect(layer.bias == zip(before[l].bias, layers[l].bias).map { $0 - 0.5 * $1 })
        }

        let after = network.layers
        var wrongShape = layers
        wrongShape[1].weights = try Matrix(rows: 2, columns: 4, repeating: 0)
        #expect(throws: BackpropError.shapeMismatch(what: "weight gradient of layer 1", expected: "4 × 2", got: "2 × 4")) {
            try network.apply(Gradients(layers: wrongShape, inputs: gradients.inputs), learningRate: 0.5)
        }
        var wrongBias = layers
        wrongBias[0].bias.removeLast()
        #expect(throws: BackpropError.shapeMismatch(what: "bias gradient of layer 0", expected: "4 values", got: "3 values")) {
            try network.apply(Gradients(layers: wrongBias, inputs: gradients.inputs), learningRate: 0.5)
        }
        #expect(throws: BackpropError.shapeMismatch(what: "gradients", expected: "2 layers", got: "1 layers")) {
            try network.apply(Gradients(layers: [layers[0]], inputs: gradients.inputs), learningRate: 0.5)
        }
        var nonFinite = layers
        nonFinite[1].weights = try Matrix(rows: 4, columns: 2, elements: [0, 0, 0, 0, 0, S.infinity, 0, 0])
        #expect(throws: BackpropError.nonFinite(what: "weight gradient of layer 1", row: 2, column: 1)) {
            try network.apply(Gradients(layers: nonFinite, inputs: gradients.inputs), learningRate: 0.5)
        }
        var nanBias = layers
        nanBias[0].bias[2] = .nan
        #expect(throws: BackpropError.nonFinite(what: "bias gradient of layer 0", row: 0, column: 2)) {
            try network.apply(Gradients(layers: nanBias, inputs: gradients.inputs), learningRate: 0.5)
        }
        #expect(network.layers == after, "a refused step changes nothing")
    }

    /// Gradients combined by hand (the mean of two batches', as in the
    /// documentation of ``Gradients``) step like the gradient of the two
    /// batches together, whose mean loss is the mean of theirs.
    @Test func averagedGradientsStepLikeTheWholeBatch() throws {
        var rng = TestRandom(seed: 19)
        let x1 = rng.matrix(6, 2) { 2 * $0.uniform() - 1 }, y1 = rng.matrix(6, 1) { $0.uniform() }
        let x2 = rng.matrix(6, 2) { 2 * $0.uniform() - 1 }, y2 = rng.matrix(6, 1) { $0.uniform() }
        var net = try Network(inputSize: 2, layers: [.dense(5, .tanh), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 2)
        var whole = net
        let a = try net.gradients(inputs: x1, targets: y1)
        let b = try net.gradients(inputs: x2, targets: y2)
        let mean = Gradients(layers: try zip(a.layers, b.layers).map { p, q in
            LayerGradients(weights: try Matrix(rows: p.weights.rows, columns: p.weights.columns,
                                               elements: zip(p.weights.elements, q.weights.elements).map { ($0 + $1) / 2 }),
                           bias: zip(p.bias, q.bias).map { ($0 + $1) / 2 })
        }, inputs: a.inputs)
        try net.apply(mean, learningRate: 0.1)
        try whole.apply(try whole.gradients(inputs: Matrix(x1.nestedRows + x2.nestedRows),
                                            targets: Matrix(y1.nestedRows + y2.nestedRows)), learningRate: 0.1)
        for (p, q) in zip(net.layers, whole.layers) {
            #expect(Self.difference([p.weights.elements], [q.weights.elements]) <= 1e-14)
            #expect(Self.difference([p.bias], [q.bias]) <= 1e-14)
        }
    }

    // MARK: - Seed 02

    /// Seed 02's layer: `x = [1, 2, 3, 4]`, three ReLU neurons, `y = Σ_j
    /// relu(z_j)`, `L = y²`, so `dL/da_j = 2y`. The trace holds `z = x·W + b`
    /// and `a = relu(z)`; backward gives `δ = 2y·relu'(z)`, `dW = xᵀ·δ`,
    /// `db = δ`, `dx = δ·Wᵀ`; one step moves `W` by `−η·dW`.
    @Test func seed02LayerThroughTheTrace() throws {
        let notebookW: [[Double]] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]
        let w = (0..<4).map { i in (0..<3).map { j in notebookW[j][i] } }   // inputs × neurons
        let bias = [0.1, 0.2, 0.3], x = [1.0, 2, 3, 4]
        var net = try Network(inputSize: 4, layers: [.dense(3, .relu)], loss: .meanSquaredError)
        try net.setWeights(Matrix(w), layer: 0)
        try net.setBias(bias, layer: 0)

        let trace = try net.forward(Matrix(row: x))
        let z = (0..<3).map { j in (0..<4).reduce(0) { $0 + x[$1] * w[$1][j] } + bias[j] }
        let a = z.map { max($0, 0) }
        for j in 0..<3 {
            #expect(close(trace.layers[0].preActivations[0, j], z[j], rel: 1e-15))
            #expect(close(trace.layers[0].activations[0, j], a[j], rel: 1e-15))
        }
        let y = trace.outputs.elements.reduce(0, +)
        #expect(close(y, a.reduce(0, +), rel: 1e-15))

        let g = try net.backward(trace, outputGradient: Matrix(row: [2 * y, 2 * y, 2 * y]))
        let delta = z.map { $0 > 0 ? 2 * y : 0 }
        let dz = try #require(g.layers[0].preActivations)
        #expect(dz.rows == 1 && dz.columns == 3)
        for j in 0..<3 {
            #expect(close(dz[0, j], delta[j], rel: 1e-15))
            #expect(close(g.layers[0].bias[j], delta[j], rel: 1e-15))
            for i in 0..<4 { #expect(close(g.layers[0].weights[i, j], x[i] * delta[j], rel: 1e-15)) }
        }
        for i in 0..<4 {
            #expect(close(g.inputs[0, i], (0..<3).reduce(0) { $0 + delta[$1] * w[i][$1] }, rel: 1e-14))
        }
        try net.apply(g, learningRate: 0.001)
        for i in 0..<4 {
            for j in 0..<3 { #expect(close(net.layers[0].weights[i, j], w[i][j] - 0.001 * x[i] * delta[j], rel: 1e-15)) }
        }
        #expect(throws: BackpropError.parametersChangedSinceForward) {
            try net.backward(trace, outputGradient: Matrix(row: [2 * y, 2 * y, 2 * y]))
        }
    }
}
