import CKernels

// Backpropagation runs in the C engine (bp_mlp.h): the delta rule of seed
// 03 in the matrix form of seed 01,
//
//   dZ_L      = dL/dA_L ⊙ f'_L(Z_L)        (or the fused (Ŷ − Y)/n)
//   dW_l      = A_{l−1}ᵀ · dZ_l
//   db_l      = Σ_rows dZ_l
//   dA_{l−1}  = dZ_l · W_lᵀ
//   dZ_{l−1}  = dA_{l−1} ⊙ f'_{l−1}(Z_{l−1})
//
// with every gradient in one flat vector laid out like the parameters.
extension Network {
    /// Splits a flat gradient vector (parameter layout) into per-layer matrices.
    func splitGradients(_ flat: [Scalar], inputs dx: [Scalar], rows: Int, loss: Double?) -> Gradients<Scalar> {
        let perLayer = shapes.map { shape in
            LayerGradients<Scalar>(
                weights: Matrix(uncheckedRows: shape.inputSize, columns: shape.outputSize,
                                elements: Array(flat[shape.weightRange])),
                bias: Array(flat[shape.biasRange]))
        }
        return Gradients(layers: perLayer, inputs: Matrix(uncheckedRows: rows, columns: inputSize, elements: dx),
                         loss: loss)
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
        var grad = [Scalar](repeating: 0, count: parameterCount)
        var dx = [Scalar](repeating: 0, count: rows * inputSize)
        let loss = try engines.withEngine(for: self, capacity: rows) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try data.inputs.elements.withUnsafeBufferPointer { x in
                    try resolved.withPointer { t in
                        try grad.withUnsafeMutableBufferPointer { g in
                            try dx.withUnsafeMutableBufferPointer { d in
                                try engine.gradient(parameters: p.baseAddress!, rows: rows, x: x.baseAddress!,
                                                    ldx: inputSize, targets: t, grad: g.baseAddress, dx: d.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        return splitGradients(grad, inputs: dx, rows: rows, loss: loss)
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
        let rows = inputs.rows
        guard outputGradient.rows == rows, outputGradient.columns == outputSize else {
            throw BackpropError.shapeMismatch(what: "output gradient", expected: "\(rows) × \(outputSize)",
                                              got: "\(outputGradient.rows) × \(outputGradient.columns)")
        }
        if let (r, c) = outputGradient.firstNonFinite() {
            throw BackpropError.nonFinite(what: "output gradient", row: r, column: c)
        }
        return try backpropagate(inputs: inputs, outputGradient: outputGradient)
    }

    /// The gradients of a loss whose `dL/dŶ` at the outputs of `inputs` is
    /// `outputGradient` (`n × outputSize`, shape and values already
    /// checked): `dZ_L = dL/dŶ ⊙ f'_L(Z_L)`, then the delta rule.
    func backpropagate(inputs: Matrix<Scalar>, outputGradient: Matrix<Scalar>) throws -> Gradients<Scalar> {
        try validateInputs(inputs, what: "inputs")
        let rows = inputs.rows
        var grad = [Scalar](repeating: 0, count: parameterCount)
        var dx = [Scalar](repeating: 0, count: rows * inputSize)
        try engines.withEngine(for: self, capacity: rows) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try inputs.elements.withUnsafeBufferPointer { x in
                    try outputGradient.elements.withUnsafeBufferPointer { og in
                        try grad.withUnsafeMutableBufferPointer { g in
                            try dx.withUnsafeMutableBufferPointer { d in
                                try engine.backward(parameters: p.baseAddress!, rows: rows, x: x.baseAddress!,
                                                    ldx: inputSize, outputGradient: og.baseAddress!,
                                                    grad: g.baseAddress!, dx: d.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        return splitGradients(grad, inputs: dx, rows: rows, loss: nil)
    }

    /// One gradient-descent step: `W ← W − η·dW`, `b ← b − η·db` for every layer.
    /// - Throws: for a learning rate that is not finite and > 0, gradients whose
    ///   shapes do not match the layers, or non-finite gradients (nothing is changed then).
    public mutating func apply(_ gradients: Gradients<Scalar>, learningRate: Double) throws {
        try Self.validateLearningRate(learningRate)
        guard gradients.layers.count == shapes.count else {
            throw BackpropError.shapeMismatch(what: "gradients", expected: "\(shapes.count) layers",
                                              got: "\(gradients.layers.count) layers")
        }
        var flat = [Scalar]()
        flat.reserveCapacity(parameterCount)
        for (l, g) in gradients.layers.enumerated() {
            let shape = shapes[l]
            guard g.weights.rows == shape.inputSize, g.weights.columns == shape.outputSize else {
                throw BackpropError.shapeMismatch(
                    what: "weight gradient of layer \(l)", expected: "\(shape.inputSize) × \(shape.outputSize)",
                    got: "\(g.weights.rows) × \(g.weights.columns)")
            }
            guard g.bias.count == shape.outputSize else {
                throw BackpropError.shapeMismatch(what: "bias gradient of layer \(l)",
                                                  expected: "\(shape.outputSize) values", got: "\(g.bias.count) values")
            }
            if let (r, c) = g.weights.firstNonFinite() {
                throw BackpropError.nonFinite(what: "weight gradient of layer \(l)", row: r, column: c)
            }
            if let j = g.bias.firstIndex(where: { !$0.isFinite }) {
                throw BackpropError.nonFinite(what: "bias gradient of layer \(l)", row: 0, column: j)
            }
            flat.append(contentsOf: g.weights.elements)
            flat.append(contentsOf: g.bias)
        }
        try flat.withUnsafeBufferPointer { g in
            try parameters.withUnsafeMutableBufferPointer { w in
                try Kernels.sgdUpdate(count: w.count, rate: learningRate, g: g.baseAddress!, w: w.baseAddress!)
            }
        }
    }

    /// A learning rate must be finite and > 0, also once rounded to `Scalar`.
    static func validateLearningRate(_ rate: Double) throws {
        guard rate.isFinite, rate > 0, Scalar(rate).isFinite, Scalar(rate) > 0 else {
            throw BackpropError.invalidLearningRate(rate)
        }
    }
}
