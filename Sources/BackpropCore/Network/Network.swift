/// A fully connected feed-forward network trained by backpropagation.
///
/// Layer `l` computes `a_l = f_l(a_{l−1}·W_l + b_l)` on a batch
/// (`n_samples × features`, one sample per row), with `a_0` the inputs.
/// All arithmetic runs in the C kernels; the network owns shapes,
/// validation, memory and the training loop.
///
/// ```swift
/// var net = try Network(inputSize: 2,
///                       layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
///                       loss: .binaryCrossEntropy, seed: 42)
/// let report = try net.train(inputs: x, labels: y, epochs: 300, learningRate: 0.5)
/// let p = try net.predict(x)          // n × 1 probabilities
/// ```
///
/// `Network` is a value type: copying it copies the parameters and the
/// random generator's state, and the copies train independently. It is
/// `Sendable`, and `predict` may be called from many tasks at once (each call
/// uses scratch memory of its own). The C engine's buffers and GEMM threads
/// of the last calls are kept for the next ones (two at most, for batches of
/// up to 4096 rows), so repeated calls do not allocate; they are freed with
/// the network.
///
/// Determinism: one seeded GSL generator per network draws the initial
/// weights and every shuffle, so the same seed and the same build give
/// bit-identical weights and training.
public struct Network<Scalar: NetworkScalar>: Sendable {
    /// Number of input features.
    public let inputSize: Int
    /// The loss minimised by training.
    public let loss: Loss
    /// The shape of each layer and where its parameters sit in `parameters`.
    let shapes: [LayerShape]
    /// Every parameter in one flat vector, layer after layer: `W_l`
    /// (row-major, `n_in × n_out`) then `b_l`. The C engine updates it in
    /// place with a single SGD step.
    var parameters: [Scalar]

    /// Threads for the matrix products of `train`, `predict`, `gradients`
    /// (1 to 256; default 1). Big layers split their GEMMs across a small
    /// persistent pool; small problems stay on one thread. Results are
    /// bit-identical whatever the count. Checked when a computation starts
    /// (``BackpropError/invalidHyperparameter(name:value:expected:)``).
    public var threads: Int = 1

    /// The code the computations run on (default ``KernelSet/automatic``):
    /// set ``KernelSet/reference`` to rerun `predict`, `loss`, `gradients`
    /// or `train` on the plain reference engine when a kernel is suspected.
    /// A run-time choice: not saved with the model, carried over by copies
    /// and ``converted(to:)``; the next call builds an engine for it.
    public var kernels: KernelSet = .automatic

    /// The memory this network's computations may claim: each engine (the
    /// scratch buffers of a batch) is checked against it before it is
    /// allocated, and `predict` checks its output. Default:
    /// ``MemoryBudget/system``, the machine's available memory.
    public var memoryBudget: MemoryBudget = .system

    /// The update rule of every `train` step (default
    /// ``Optimizer/gradientDescent``, plain `p ← p − η·g`). Assigning one
    /// (even the same) restarts its state: the next `train` call starts
    /// from zeros and `t = 1`.
    public var optimizer: Optimizer = .gradientDescent {
        didSet { optimizerState = nil }
    }

    /// The optimiser's per-parameter state and step count where the last
    /// `train` call left them (`nil` before the first call, after
    /// ``optimizer`` is assigned, and for plain gradient descent, which
    /// keeps none): the next `train` call continues from it, so training
    /// in several calls equals training in one. Saved in checkpoints and
    /// model files; restore one with ``restoreOptimizerState(_:)``.
    public private(set) var optimizerState: OptimizerState?

    var random: RandomSource
    /// Engines (C scratch buffers and GEMM threads) kept between calls;
    /// shared by copies, each engine lent to one call at a time.
    let engines = EngineCache<Scalar>()

    /// The designated initializer behind both public `init(inputSize:layers:loss:seed:)`.
    init(building inputSize: Int, layers: [LayerSpecification], loss: Loss, seed: UInt64) throws {
        guard inputSize >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "inputSize", value: "\(inputSize)",
                                                      expected: "≥ 1")
        }
        guard let last = layers.last else { throw BackpropError.noLayers }
        for (i, layer) in layers.enumerated() {
            guard layer.units >= 1 else { throw BackpropError.zeroWidthLayer(index: i) }
            if case let .leakyReLU(slope) = layer.activation, !slope.isFinite {
                throw BackpropError.invalidHyperparameter(name: "leakyReLU slope of layer \(i)",
                                                          value: "\(slope)", expected: "finite")
            }
        }
        try loss.validate(outputActivation: last.activation, outputSize: last.units)

        var total = 0
        var nIn = inputSize
        for layer in layers {
            let (count, overflow) = nIn.multipliedReportingOverflow(by: layer.units)
            guard !overflow, count <= 1 << 40 else {
                throw BackpropError.invalidHyperparameter(
                    name: "layer size", value: "\(nIn) × \(layer.units)", expected: "at most 2^40 weights")
            }
            total = Swift.min(total, Int.max - count - layer.units) + count + layer.units   // saturates
            nIn = layer.units
        }
        // The parameters, and a layer's weights drawn in double precision
        // and converted: at most twice the scalars and once the doubles.
        try MemoryBudget.system.require(
            MemoryBudget.bytes(count: total, size: 2 * MemoryLayout<Scalar>.stride + MemoryLayout<Double>.stride),
            for: "a network of \(total) parameters")

        let random = try RandomSource(seed: seed)
        var shapes: [LayerShape] = []
        var parameters: [Scalar] = []
        parameters.reserveCapacity(total)
        nIn = inputSize
        for layer in layers {
            let initializer = layer.initializer ?? layer.activation.defaultInitializer
            let values = try random.draw(initializer, nIn: nIn, nOut: layer.units)
            shapes.append(LayerShape(inputSize: nIn, outputSize: layer.units, activation: layer.activation,
                                     weightOffset: parameters.count))
            parameters.append(contentsOf: values.map { Scalar($0) })
            parameters.append(contentsOf: repeatElement(0, count: layer.units))
            nIn = layer.units
        }
        self.inputSize = inputSize
        self.shapes = shapes
        self.parameters = parameters
        self.loss = loss
        self.random = random
    }

    /// Creates a network from existing layers (for example loaded from a file).
    /// - Throws: when consecutive layers do not connect or the loss does not fit the output.
    public init(layers: [DenseLayer<Scalar>], loss: Loss, seed: UInt64 = 0) throws {
        guard let first = layers.first, let last = layers.last else { throw BackpropError.noLayers }
        for i in 1..<max(layers.count, 1) where layers[i].inputSize != layers[i - 1].outputSize {
            throw BackpropError.shapeMismatch(
                what: "inputs of layer \(i)", expected: "\(layers[i - 1].outputSize) (the previous layer's units)",
                got: "\(layers[i].inputSize)")
        }
        try loss.validate(outputActivation: last.activation, outputSize: last.outputSize)
        var shapes: [LayerShape] = []
        var parameters: [Scalar] = []
        for layer in layers {
            shapes.append(LayerShape(inputSize: layer.inputSize, outputSize: layer.outputSize,
                                     activation: layer.activation, weightOffset: parameters.count))
            parameters.append(contentsOf: layer.weights.elements)
            parameters.append(contentsOf: layer.bias)
        }
        self.inputSize = first.inputSize
        self.shapes = shapes
        self.parameters = parameters
        self.loss = loss
        self.random = try RandomSource(seed: seed)
    }

    /// The layers, first to last, with copies of their parameters.
    public var layers: [DenseLayer<Scalar>] {
        shapes.map { shape in
            DenseLayer(uncheckedWeights: Matrix(uncheckedRows: shape.inputSize, columns: shape.outputSize,
                                           elements: Array(parameters[shape.weightRange])),
                  bias: Array(parameters[shape.biasRange]), activation: shape.activation)
        }
    }

    /// The same network in another precision (parameters converted; the
    /// generator state, thread count and kernel set carried over).
    public func converted<Other: NetworkScalar>(to _: Other.Type = Other.self) throws -> Network<Other> {
        var other = try Network<Other>(layers: layers.map {
            try DenseLayer<Other>(weights: $0.weights.converted(to: Other.self),
                             bias: $0.bias.map { Other($0) }, activation: $0.activation)
        }, loss: loss)
        other.random = try random.clone()
        other.threads = threads
        other.kernels = kernels
        other.optimizer = optimizer
        other.optimizerState = optimizerState.map {
            OptimizerState(optimizer: $0.optimizer, step: $0.step, values: $0.values.map { Double(Other($0)) })
        }
        return other
    }

    /// Makes `state` the optimiser's: ``optimizer`` becomes
    /// `state.optimizer` and the next `train` call continues from its
    /// values and step count (a model file's or a checkpoint's state).
    /// - Throws: ``BackpropError/invalidCheckpoint(_:)``, with the network
    ///   unchanged, when the state does not fit this network: another
    ///   number of values, a value that is not finite (or not exact in
    ///   `Scalar`), an invalid hyperparameter or a negative step.
    public mutating func restoreOptimizerState(_ state: OptimizerState) throws {
        try state.validate(parameterCount: parameterCount, scalar: Scalar.self)
        optimizer = state.optimizer
        optimizerState = state.step == 0 && (state.values.isEmpty || state.optimizer.stateSlots == 0) ? nil : state
    }

    /// Records the optimiser state a `train` call reached.
    mutating func keepOptimizerState(_ state: OptimizerState?) {
        optimizerState = state
    }

    /// Number of outputs (units of the last layer).
    public var outputSize: Int { shapes[shapes.count - 1].outputSize }

    /// Total number of trainable parameters.
    public var parameterCount: Int { parameters.count }

    /// Replaces the weights of layer `index` (`n_in × n_out`, finite).
    public mutating func setWeights(_ weights: Matrix<Scalar>, layer index: Int) throws {
        try checkLayerIndex(index)
        let shape = shapes[index]
        var layer = DenseLayer<Scalar>(uncheckedWeights: Matrix(uncheckedRows: shape.inputSize, columns: shape.outputSize,
                                                          elements: Array(parameters[shape.weightRange])),
                                  bias: [], activation: shape.activation)
        try layer.setWeights(weights)
        parameters.replaceSubrange(shape.weightRange, with: weights.elements)
    }

    /// Replaces the bias of layer `index` (`n_out` finite values).
    public mutating func setBias(_ bias: [Scalar], layer index: Int) throws {
        try checkLayerIndex(index)
        let shape = shapes[index]
        guard bias.count == shape.outputSize else {
            throw BackpropError.shapeMismatch(what: "bias", expected: "\(shape.outputSize) values",
                                              got: "\(bias.count) values")
        }
        if let j = bias.firstIndex(where: { !$0.isFinite }) {
            throw BackpropError.nonFinite(what: "bias", row: 0, column: j)
        }
        parameters.replaceSubrange(shape.biasRange, with: bias)
    }

    func checkLayerIndex(_ index: Int) throws {
        guard index >= 0 && index < shapes.count else {
            throw BackpropError.invalidHyperparameter(name: "layer index", value: "\(index)",
                                                      expected: "in 0..<\(shapes.count)")
        }
    }

    /// Makes the generator uniquely owned before drawing from it (copy-on-write).
    mutating func uniqueRandom() throws -> RandomSource {
        if !isKnownUniquelyReferenced(&random) { random = try random.clone() }
        return random
    }

    // MARK: - Inference

    /// The network's outputs for a batch: `n × outputSize` (probabilities for
    /// sigmoid/softmax outputs), always finite.
    /// - Throws: unless `inputs` is `n × inputSize` (n ≥ 1) and finite;
    ///   ``BackpropError/overflow(what:row:)`` when an output is NaN or
    ///   infinite (weights too large for the input), naming the first such
    ///   row and the first layer where it overflows.
    public func predict(_ inputs: Matrix<Scalar>) throws -> Matrix<Scalar> {
        let outputs = try uncheckedPredict(inputs)
        if Kernels.firstNonFinite(outputs.elements) != nil { throw try overflow(in: inputs, targets: nil) }
        return outputs
    }

    /// ``predict(_:)`` without the check of its outputs (which may then hold
    /// NaN or infinity).
    func uncheckedPredict(_ inputs: Matrix<Scalar>) throws -> Matrix<Scalar> {
        try validateInputs(inputs, what: "inputs")
        try memoryBudget.require(MemoryBudget.bytes(count: MemoryBudget.bytes(count: inputs.rows, size: outputSize),
                                                    size: MemoryLayout<Scalar>.stride),
                                 for: "the outputs of \(inputs.rows) rows")
        var out = [Scalar](repeating: 0, count: inputs.rows * outputSize)
        try out.withUnsafeMutableBufferPointer { o in
            try forwardInChunks(inputs, outputs: o.baseAddress!) { _, _, _ in }
        }
        return Matrix(uncheckedRows: inputs.rows, columns: outputSize, elements: out)
    }

    /// The engine's forward pass over `inputs` (validated), in chunks of at
    /// most ``evaluationChunk`` rows on one engine: each chunk's outputs
    /// are copied to `outputs` (at the chunk's rows, when given), then
    /// `body(engine, start, rows)` runs while the engine still holds the
    /// chunk's `Z_l` and `A_l`.
    func forwardInChunks(_ inputs: Matrix<Scalar>, outputs: UnsafeMutablePointer<Scalar>?,
                         _ body: (Engine<Scalar>, _ start: Int, _ rows: Int) throws -> Void) throws {
        let chunk = Swift.min(inputs.rows, Self.evaluationChunk)
        try engines.withEngine(for: self, capacity: chunk) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try inputs.elements.withUnsafeBufferPointer { x in
                    var start = 0
                    while start < inputs.rows {
                        let rows = Swift.min(chunk, inputs.rows - start)
                        try engine.forward(parameters: p.baseAddress!, rows: rows,
                                           x: x.baseAddress! + start * inputSize, ldx: inputSize,
                                           out: outputs.map { $0 + start * outputSize })
                        try body(engine, start, rows)
                        start += rows
                    }
                }
            }
        }
    }

    /// The predicted class of each sample: `argmax` of the outputs, or, for a
    /// single output, 1 when it is ≥ 0.5 and 0 otherwise.
    public func predictClasses(_ inputs: Matrix<Scalar>) throws -> [Int] {
        Self.classes(of: try predict(inputs))
    }

    /// The mean loss over a data set (the same value training minimises).
    public func loss(inputs: Matrix<Scalar>, targets: Matrix<Scalar>) throws -> Double {
        try loss(on: Dataset(inputs: inputs, targets: targets))
    }

    /// The mean loss over a data set with integer class labels.
    public func loss(inputs: Matrix<Scalar>, labels: [Int]) throws -> Double {
        try loss(on: Dataset(inputs: inputs, labels: labels))
    }

    /// The mean loss over a data set.
    ///
    /// Evaluated in chunks of at most 1024 rows (like `predict`), so a large
    /// data set needs no engine of its own size: the mean is the chunks'
    /// means weighted by their rows.
    /// - Throws: ``BackpropError`` for invalid data;
    ///   ``BackpropError/overflow(what:row:)`` when the loss is NaN or
    ///   infinite, naming the first row and layer (or the loss) that overflows.
    public func loss(on data: Dataset<Scalar>) throws -> Double {
        let resolved = try resolve(data)
        let mean = try uncheckedLoss(on: data, resolved: resolved)
        guard mean.isFinite else { throw try overflow(in: data.inputs, targets: resolved) }
        return mean
    }

    /// ``loss(on:)`` of data already resolved, without the check of its
    /// value (which may then be NaN or infinite).
    func uncheckedLoss(on data: Dataset<Scalar>, resolved: ResolvedTargets<Scalar>) throws -> Double {
        let n = data.count
        let chunk = Swift.min(n, Self.evaluationChunk)
        return try engines.withEngine(for: self, capacity: chunk) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try data.inputs.elements.withUnsafeBufferPointer { x in
                    try resolved.withPointer { t in
                        if n <= chunk {
                            return try engine.gradient(parameters: p.baseAddress!, rows: n, x: x.baseAddress!,
                                                       ldx: inputSize, targets: t, grad: nil, dx: nil)
                        }
                        var total = 0.0
                        var start = 0
                        while start < n {
                            let rows = Swift.min(chunk, n - start)
                            let mean = try engine.gradient(
                                parameters: p.baseAddress!, rows: rows, x: x.baseAddress! + start * inputSize,
                                ldx: inputSize, targets: t.rows(from: start, width: outputSize),
                                grad: nil, dx: nil)
                            total += mean * Double(rows)
                            start += rows
                        }
                        return total / Double(n)
                    }
                }
            }
        }
    }

    /// Rows per engine call of `predict` and `loss` (at most).
    static var evaluationChunk: Int { 1024 }

    /// The fraction of samples whose predicted class (see `predictClasses`)
    /// equals the label.
    public func accuracy(inputs: Matrix<Scalar>, labels: [Int]) throws -> Double {
        try accuracy(on: Dataset(inputs: inputs, labels: labels))
    }

    /// Accuracy against dense targets: the true class of a row is its
    /// `argmax` (or, for one output, whether it is ≥ 0.5).
    public func accuracy(inputs: Matrix<Scalar>, targets: Matrix<Scalar>) throws -> Double {
        try accuracy(on: Dataset(inputs: inputs, targets: targets))
    }

    /// Classification accuracy on a data set, in [0, 1].
    public func accuracy(on data: Dataset<Scalar>) throws -> Double {
        _ = try resolve(data)
        return Self.accuracy(of: try predict(data.inputs), against: data.targets)
    }

    /// The fraction of rows of `outputs` whose class is the target's.
    package static func accuracy(of outputs: Matrix<Scalar>, against targets: Targets<Scalar>) -> Double {
        let predicted = classes(of: outputs)
        let truth: [Int]
        switch targets {
        case let .labels(labels): truth = labels
        case let .values(m): truth = classes(of: m)
        }
        let hits = zip(predicted, truth).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Double(hits) / Double(truth.count)
    }

    static func classes(of outputs: Matrix<Scalar>) -> [Int] {
        (0..<outputs.rows).map { classOfRow($0, of: outputs.elements, columns: outputs.columns) }
    }

    /// The class of row `i` of `values` (row-major, `columns` wide): the
    /// column of its largest value (the first, on ties), or, for a single
    /// column, 1 when the value is ≥ 0.5 and 0 otherwise.
    @inline(__always)
    static func classOfRow(_ i: Int, of values: [Scalar], columns: Int) -> Int {
        let row = i * columns
        if columns == 1 { return values[row] >= 0.5 ? 1 : 0 }
        var best = 0
        for j in 1..<columns where values[row + j] > values[row + best] { best = j }
        return best
    }

    // MARK: - Validation

    func validateInputs(_ inputs: Matrix<Scalar>, what: String) throws {
        try validateInputs(inputs, nonFinite: MatrixPosition(firstNonFiniteOf: inputs), what: what)
    }

    /// The same, with the position of the first non-finite input already
    /// known (a ``Dataset`` finds it when its inputs are set).
    func validateInputs(_ inputs: Matrix<Scalar>, nonFinite: MatrixPosition?, what: String) throws {
        guard inputs.rows > 0 else { throw BackpropError.emptyData(what: what) }
        guard inputs.columns == inputSize else {
            throw BackpropError.shapeMismatch(what: what, expected: "n × \(inputSize)",
                                              got: "\(inputs.rows) × \(inputs.columns)")
        }
        if let nonFinite {
            throw BackpropError.nonFinite(what: what, row: nonFinite.row, column: nonFinite.column)
        }
    }

    /// Number of classes labels may take: the output width, or 2 for a single output.
    var classCount: Int { outputSize == 1 ? 2 : outputSize }

    /// Validates a data set against this network and converts its targets
    /// to the form the loss kernel takes.
    func resolve(_ data: Dataset<Scalar>, name: String = "") throws -> ResolvedTargets<Scalar> {
        let prefix = name.isEmpty ? "" : name + " "
        try validateInputs(data.inputs, nonFinite: data.inputsNonFinite, what: prefix + "inputs")
        guard data.targets.count == data.inputs.rows else {
            throw BackpropError.sampleCountMismatch(inputs: data.inputs.rows, targets: data.targets.count)
        }
        switch data.targets {
        case let .values(m):
            guard m.columns == outputSize else {
                throw BackpropError.shapeMismatch(what: prefix + "targets", expected: "n × \(outputSize)",
                                                  got: "\(m.rows) × \(m.columns)")
            }
            if let (r, c) = m.firstNonFinite() {
                throw BackpropError.nonFinite(what: prefix + "targets", row: r, column: c)
            }
            if loss.isClassification, let i = m.elements.firstIndex(where: { $0 < 0 || $0 > 1 }) {
                throw BackpropError.invalidTarget(
                    row: i / m.columns, column: i % m.columns, value: Double(m.elements[i]),
                    expected: "a probability in [0, 1] for \(loss)")
            }
            return .dense(m.elements)
        case let .labels(labels):
            let classes = classCount
            for (i, label) in labels.enumerated() where label < 0 || label >= classes {
                throw BackpropError.labelOutOfRange(index: i, label: label, classes: classes)
            }
            if loss == .categoricalCrossEntropy && outputSize > 1 { return .labels(labels) }
            var dense = [Scalar](repeating: 0, count: labels.count * outputSize)
            for (i, label) in labels.enumerated() {
                if outputSize == 1 { dense[i] = Scalar(label) } else { dense[i * outputSize + label] = 1 }
            }
            return .dense(dense)
        }
    }
}

extension Network {
    /// Creates a network with weights drawn from a seeded generator.
    ///
    /// - Parameters:
    ///   - inputSize: number of input features (≥ 1).
    ///   - layers: the layers, first to last, e.g. `[.dense(4, .relu), .dense(1, .sigmoid)]`.
    ///   - loss: the loss to minimise; cross-entropies need a sigmoid or softmax output layer.
    ///   - seed: seeds the generator that draws the weights (and later shuffles).
    /// - Throws: ``BackpropError/noLayers``, ``BackpropError/zeroWidthLayer(index:)``,
    ///   ``BackpropError/invalidHyperparameter(name:value:expected:)`` for `inputSize < 1`
    ///   or a bad initializer, ``BackpropError/invalidConfiguration(_:)`` for a loss the
    ///   output layer cannot serve.
    public init(inputSize: Int, layers: [LayerSpecification], loss: Loss, seed: UInt64 = 0) throws {
        try self.init(building: inputSize, layers: layers, loss: loss, seed: seed)
    }
}

// The same initializer constrained to Double, so that `Network(inputSize:...)`
// without a type annotation means `Network<Double>` (the compiler prefers the
// more constrained overload; `Network<Float>(...)` picks the generic one).
extension Network where Scalar == Double {
    /// Creates a network with weights drawn from a seeded generator.
    ///
    /// - Parameters:
    ///   - inputSize: number of input features (≥ 1).
    ///   - layers: the layers, first to last, e.g. `[.dense(4, .relu), .dense(1, .sigmoid)]`.
    ///   - loss: the loss to minimise; cross-entropies need a sigmoid or softmax output layer.
    ///   - seed: seeds the generator that draws the weights (and later shuffles).
    /// - Throws: ``BackpropError/noLayers``, ``BackpropError/zeroWidthLayer(index:)``,
    ///   ``BackpropError/invalidHyperparameter(name:value:expected:)`` for `inputSize < 1`
    ///   or a bad initializer, ``BackpropError/invalidConfiguration(_:)`` for a loss the
    ///   output layer cannot serve.
    public init(inputSize: Int, layers: [LayerSpecification], loss: Loss, seed: UInt64 = 0) throws {
        try self.init(building: inputSize, layers: layers, loss: loss, seed: seed)
    }
}

/// Where one layer's parameters sit in the network's flat parameter vector.
struct LayerShape: Sendable, Equatable {
    var inputSize: Int
    var outputSize: Int
    var activation: Activation
    /// Offset of `W` (`inputSize × outputSize`); `b` follows it.
    var weightOffset: Int

    var weightRange: Range<Int> { weightOffset ..< weightOffset + inputSize * outputSize }
    var biasRange: Range<Int> { weightRange.upperBound ..< weightRange.upperBound + outputSize }
}
