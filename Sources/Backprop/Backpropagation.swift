import CKernels

/// Gradients of the loss for one batch: per layer `dL/dW` and `dL/db`, and
/// `dL/dX` for the inputs.
public struct Gradients<Scalar: NetworkScalar>: Sendable, Equatable {
    /// `dL/dW_l` (`n_in × n_out`) and `dL/db_l` (`n_out`) for each layer.
    public struct Layer: Sendable, Equatable {
        public var weights: Matrix<Scalar>
        public var bias: [Scalar]
    }
    /// One entry per layer, first to last.
    public var layers: [Layer]
    /// `dL/dX`, `n × inputSize`.
    public var inputs: Matrix<Scalar>
    /// The loss at which the gradients were taken (`nil` when they came from
    /// `backward(outputGradient:)`, whose loss the library does not know).
    public var loss: Double?
}

// The backpropagation engine. Every pass works on raw buffers in a
// `Workspace`; the recursion is seed 03's delta rule in matrix form (seed 01):
//
//   dZ_L      = dL/dA_L ⊙ f'_L(Z_L)        (or the fused (Ŷ − Y)/n)
//   dW_l      = A_{l−1}ᵀ · dZ_l
//   db_l      = Σ_rows dZ_l
//   dA_{l−1}  = dZ_l · W_lᵀ
//   dZ_{l−1}  = dA_{l−1} ⊙ f'_{l−1}(Z_{l−1})
extension Network {
    /// Forward pass of `rows` samples (`rows × inputSize` at `input`) into `ws.z`, `ws.a`.
    func forward(input: UnsafePointer<Scalar>, rows: Int, ws: Workspace<Scalar>) throws {
        var current = input
        var nIn = inputSize
        for (l, layer) in layers.enumerated() {
            let units = layer.outputSize
            try layer.weights.elements.withUnsafeBufferPointer { w in
                try Kernels.gemm(transA: false, transB: false, m: rows, n: units, k: nIn,
                                 alpha: 1, a: current, lda: nIn, b: w.baseAddress, ldb: units,
                                 beta: 0, c: ws.z[l], ldc: units)
            }
            try layer.bias.withUnsafeBufferPointer { b in
                try Kernels.biasAdd(m: rows, n: units, bias: b.baseAddress!, z: ws.z[l])
            }
            try Kernels.activationForward(layer.activation, rows: rows, cols: units,
                                          z: ws.z[l], a: ws.a[l])
            current = UnsafePointer(ws.a[l])
            nIn = units
        }
    }

    /// The batch loss after `forward`; with `gradient`, also `dL/dZ` of the
    /// output layer into `ws.dz[last]`. Targets are read from `targets`
    /// starting at sample `offset` unless `ws` already holds them (`offset < 0`).
    func outputLoss(rows: Int, ws: Workspace<Scalar>, targets: ResolvedTargets<Scalar>,
                    offset: Int, gradient: Bool) throws -> Double {
        let last = layers.count - 1, k = outputSize
        let out = layers[last].activation
        let (kind, onLogits) = loss.kernel(for: out)
        let pred = UnsafePointer(onLogits ? ws.z[last] : ws.a[last])
        let grad: UnsafeMutablePointer<Scalar>? = gradient ? (onLogits ? ws.dz[last] : ws.da[last]) : nil
        let value: Double
        switch targets {
        case let .dense(y):
            value = try y.withUnsafeBufferPointer { yb in
                let yp = offset >= 0 ? yb.baseAddress! + offset * k : UnsafePointer(ws.y)
                return try Kernels.loss(kind, n: rows, k: k, pred: pred, target: yp, grad: grad)
            }
        case let .labels(labels):
            value = try labels.withUnsafeBufferPointer { lb in
                let lp = offset >= 0 ? lb.baseAddress! + offset : UnsafePointer(ws.labels)
                return try Kernels.loss(kind, n: rows, k: k, pred: pred, labels: lp, grad: grad)
            }
        }
        if gradient && !onLogits {
            try Kernels.activationBackward(out, rows: rows, cols: k, z: ws.z[last], a: ws.a[last],
                                           da: ws.da[last], dz: ws.dz[last])
        }
        return value
    }

    /// Backward pass from `ws.dz[last]`: fills `ws.dW`, `ws.db` and, with
    /// `inputGradient`, `ws.dx`.
    func backward(input: UnsafePointer<Scalar>, rows: Int, ws: Workspace<Scalar>,
                  inputGradient: Bool) throws {
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let nIn = layer.inputSize, units = layer.outputSize
            let below = l == 0 ? input : UnsafePointer(ws.a[l - 1])
            try Kernels.gemm(transA: true, transB: false, m: nIn, n: units, k: rows,
                             alpha: 1, a: below, lda: nIn, b: ws.dz[l], ldb: units,
                             beta: 0, c: ws.dW[l], ldc: units)
            try Kernels.biasGradient(m: rows, n: units, dz: ws.dz[l], db: ws.db[l])
            guard l > 0 || inputGradient else { continue }
            let target = l == 0 ? ws.dx : ws.da[l - 1]
            try layer.weights.elements.withUnsafeBufferPointer { w in
                try Kernels.gemm(transA: false, transB: true, m: rows, n: nIn, k: units,
                                 alpha: 1, a: ws.dz[l], lda: units, b: w.baseAddress, ldb: units,
                                 beta: 0, c: target, ldc: nIn)
            }
            if l > 0 {
                try Kernels.activationBackward(layers[l - 1].activation, rows: rows, cols: nIn,
                                               z: ws.z[l - 1], a: ws.a[l - 1], da: ws.da[l - 1],
                                               dz: ws.dz[l - 1])
            }
        }
    }

    /// Copies the gradients out of a workspace.
    func collectGradients(ws: Workspace<Scalar>, rows: Int, loss: Double?) -> Gradients<Scalar> {
        let perLayer = layers.enumerated().map { l, layer in
            Gradients<Scalar>.Layer(
                weights: Matrix(uncheckedRows: layer.inputSize, cols: layer.outputSize,
                                elements: Array(UnsafeBufferPointer(start: ws.dW[l],
                                                                    count: layer.inputSize * layer.outputSize))),
                bias: Array(UnsafeBufferPointer(start: ws.db[l], count: layer.outputSize)))
        }
        let dx = Matrix(uncheckedRows: rows, cols: inputSize,
                        elements: Array(UnsafeBufferPointer(start: ws.dx, count: rows * inputSize)))
        return Gradients(layers: perLayer, inputs: dx, loss: loss)
    }

    // MARK: - Public gradient API

    /// The gradients of the mean loss over a batch, by backpropagation.
    public func gradients(inputs: Matrix<Scalar>, targets: Matrix<Scalar>) throws -> Gradients<Scalar> {
        try gradients(on: Dataset(inputs: inputs, targets: targets))
    }

    /// The gradients of the mean loss over a batch with integer labels.
    public func gradients(inputs: Matrix<Scalar>, labels: [Int]) throws -> Gradients<Scalar> {
        try gradients(on: Dataset(inputs: inputs, labels: labels))
    }

    /// The gradients of the mean loss over a data set (one batch), by backpropagation.
    public func gradients(on data: Dataset<Scalar>) throws -> Gradients<Scalar> {
        let resolved = try resolve(data)
        let rows = data.count
        let ws = Workspace<Scalar>(widths: widths, capacity: rows, training: true)
        return try data.inputs.elements.withUnsafeBufferPointer { x in
            try forward(input: x.baseAddress!, rows: rows, ws: ws)
            let value = try outputLoss(rows: rows, ws: ws, targets: resolved, offset: 0, gradient: true)
            try backward(input: x.baseAddress!, rows: rows, ws: ws, inputGradient: true)
            return collectGradients(ws: ws, rows: rows, loss: value)
        }
    }

    /// Runs the network on `inputs` and remembers them, so that
    /// `backward(outputGradient:)` can follow with a gradient from a loss
    /// the library does not know. Returns the outputs, like `predict`.
    public mutating func forward(_ inputs: Matrix<Scalar>) throws -> Matrix<Scalar> {
        let out = try predict(inputs)
        lastForwardInputs = inputs
        return out
    }

    /// Backpropagates `dL/dA` of the output layer (`n × outputSize`, from
    /// your own loss) through the network, for the inputs of the last
    /// `forward(_:)`. Seed 02's layer example: `y = Σ relu(z)`, `L = y²`, so
    /// `dL/da = 2y` in every column.
    public func backward(outputGradient: Matrix<Scalar>) throws -> Gradients<Scalar> {
        guard let inputs = lastForwardInputs else { throw BackpropError.noForwardPass }
        let rows = inputs.rows, last = layers.count - 1
        guard outputGradient.rows == rows, outputGradient.cols == outputSize else {
            throw BackpropError.shapeMismatch(what: "output gradient", expected: "\(rows) × \(outputSize)",
                                              got: "\(outputGradient.rows) × \(outputGradient.cols)")
        }
        if let (r, c) = outputGradient.firstNonFinite() {
            throw BackpropError.nonFinite(what: "output gradient", row: r, column: c)
        }
        let ws = Workspace<Scalar>(widths: widths, capacity: rows, training: true)
        return try inputs.elements.withUnsafeBufferPointer { x in
            try forward(input: x.baseAddress!, rows: rows, ws: ws)
            outputGradient.elements.withUnsafeBufferPointer { g in
                ws.da[last].update(from: g.baseAddress!, count: rows * outputSize)
            }
            try Kernels.activationBackward(layers[last].activation, rows: rows, cols: outputSize,
                                           z: ws.z[last], a: ws.a[last], da: ws.da[last], dz: ws.dz[last])
            try backward(input: x.baseAddress!, rows: rows, ws: ws, inputGradient: true)
            return collectGradients(ws: ws, rows: rows, loss: nil)
        }
    }

    /// One gradient-descent step: `W ← W − η·dW`, `b ← b − η·db` for every layer.
    /// - Throws: for a learning rate that is not finite and > 0, gradients whose
    ///   shapes do not match the layers, or non-finite gradients (nothing is changed then).
    public mutating func apply(_ gradients: Gradients<Scalar>, learningRate: Double) throws {
        try Self.validateLearningRate(learningRate)
        guard gradients.layers.count == layers.count else {
            throw BackpropError.shapeMismatch(what: "gradients", expected: "\(layers.count) layers",
                                              got: "\(gradients.layers.count) layers")
        }
        for (l, g) in gradients.layers.enumerated() {
            let layer = layers[l]
            guard g.weights.rows == layer.inputSize, g.weights.cols == layer.outputSize else {
                throw BackpropError.shapeMismatch(
                    what: "weight gradient of layer \(l)", expected: "\(layer.inputSize) × \(layer.outputSize)",
                    got: "\(g.weights.rows) × \(g.weights.cols)")
            }
            guard g.bias.count == layer.outputSize else {
                throw BackpropError.shapeMismatch(what: "bias gradient of layer \(l)",
                                                  expected: "\(layer.outputSize) values", got: "\(g.bias.count) values")
            }
            if let (r, c) = g.weights.firstNonFinite() {
                throw BackpropError.nonFinite(what: "weight gradient of layer \(l)", row: r, column: c)
            }
            if let j = g.bias.firstIndex(where: { !$0.isFinite }) {
                throw BackpropError.nonFinite(what: "bias gradient of layer \(l)", row: 0, column: j)
            }
        }
        for (l, g) in gradients.layers.enumerated() {
            try g.weights.elements.withUnsafeBufferPointer { gw in
                try layers[l].weights.elements.withUnsafeMutableBufferPointer { w in
                    try Kernels.sgdUpdate(count: w.count, rate: learningRate, g: gw.baseAddress!, w: w.baseAddress!)
                }
            }
            try g.bias.withUnsafeBufferPointer { gb in
                try layers[l].bias.withUnsafeMutableBufferPointer { b in
                    try Kernels.sgdUpdate(count: b.count, rate: learningRate, g: gb.baseAddress!, w: b.baseAddress!)
                }
            }
        }
    }

    static func validateLearningRate(_ rate: Double) throws {
        guard rate.isFinite, rate > 0 else { throw BackpropError.invalidLearningRate(rate) }
    }
}
