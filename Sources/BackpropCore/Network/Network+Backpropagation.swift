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
    /// Splits a flat gradient vector (parameter layout) into per-layer
    /// matrices, with each layer's `dL/dZ_l` (`rows × n_out`, from
    /// `deltas`, one array per layer).
    func splitGradients(_ flat: [Scalar], inputs dx: [Scalar], deltas: [[Scalar]], rows: Int,
                        loss: Double?) -> Gradients<Scalar> {
        let perLayer = zip(shapes, deltas).map { shape, delta in
            LayerGradients<Scalar>(
                weights: Matrix(uncheckedRows: shape.inputSize, columns: shape.outputSize,
                                elements: Array(flat[shape.weightRange])),
                bias: Array(flat[shape.biasRange]),
                preActivations: Matrix(uncheckedRows: rows, columns: shape.outputSize, elements: delta))
        }
        return Gradients(layers: perLayer, inputs: Matrix(uncheckedRows: rows, columns: inputSize, elements: dx),
                         loss: loss)
    }

    /// Zeroed arrays for a batch of `rows` rows: one per layer, `rows × n_out`
    /// each (the layers' `Z_l`, `A_l` or `dL/dZ_l`), once the memory budget
    /// has allowed `copies` such sets plus `extra` values.
    func layerArrays(rows: Int, copies: Int, extra: Int = 0, for what: @autoclosure () -> String) throws -> [[Scalar]] {
        let widths = shapes.reduce(0) { $0 + $1.outputSize }
        let values = MemoryBudget.bytes(count: MemoryBudget.bytes(count: rows, size: widths), size: copies)
        try memoryBudget.require(MemoryBudget.bytes(count: values.addingReportingOverflow(extra).overflow
                                                    ? Int.max : values + extra,
                                                    size: MemoryLayout<Scalar>.stride),
                                 for: what())
        return shapes.map { [Scalar](repeating: 0, count: rows * $0.outputSize) }
    }

    /// Copies `rows` rows of each layer's engine buffer (`read(l)`, `rows × n_out`)
    /// into `arrays[l]` from row `start` on.
    static func copyRows(of shapes: [LayerShape], start: Int, rows: Int, into arrays: inout [[Scalar]],
                         _ read: (Int) throws -> UnsafePointer<Scalar>) throws {
        for (l, shape) in shapes.enumerated() {
            let source = try read(l)
            arrays[l].withUnsafeMutableBufferPointer { target in
                (target.baseAddress! + start * shape.outputSize).update(from: source, count: rows * shape.outputSize)
            }
        }
    }

    // MARK: - Public gradient API

    /// The gradients of the mean loss over a batch, by backpropagation
    /// (see ``gradients(on:)``).
    public func gradients(inputs: Matrix<Scalar>, targets: Matrix<Scalar>) throws -> Gradients<Scalar> {
        try gradients(on: Dataset(inputs: inputs, targets: targets))
    }

    /// The gradients of the mean loss over a batch with integer labels
    /// (see ``gradients(on:)``).
    public func gradients(inputs: Matrix<Scalar>, labels: [Int]) throws -> Gradients<Scalar> {
        try gradients(on: Dataset(inputs: inputs, labels: labels))
    }

    /// The gradients of the mean loss `L` over a data set (one batch of `n`
    /// rows), by backpropagation: per layer `dL/dW_l` (`n_in × n_out`),
    /// `dL/db_l` (`n_out`) and `dL/dZ_l` (`n × n_out`, the delta rule's `δ_l`,
    /// in ``LayerGradients/preActivations``), `dL/dX` (`n × inputSize`) and
    /// the loss itself.
    ///
    /// ```
    /// δ_L = dL/dA_L ⊙ f'_L(Z_L)   (the fused (Ŷ − Y)/n for softmax or sigmoid cross-entropy)
    /// δ_{l−1} = (δ_l · W_lᵀ) ⊙ f'_{l−1}(Z_{l−1})
    /// dL/dW_l = A_{l−1}ᵀ · δ_l,   dL/db_l = Σ_rows δ_l,   dL/dX = δ_0 · W_0ᵀ
    /// ```
    ///
    /// The whole batch runs in one engine call (an engine of `n` rows).
    /// - Throws: ``BackpropError`` for invalid data, or when the engine and the
    ///   results do not fit in ``memoryBudget``.
    public func gradients(on data: Dataset<Scalar>) throws -> Gradients<Scalar> {
        let resolved = try resolve(data)
        let rows = data.count
        var deltas = try layerArrays(rows: rows, copies: 1, extra: rows * inputSize,
                                     for: "the gradients of \(rows) rows")
        var grad = [Scalar](repeating: 0, count: parameterCount)
        var dx = [Scalar](repeating: 0, count: rows * inputSize)
        let loss = try engines.withEngine(for: self, capacity: rows) { engine in
            let loss = try parameters.withUnsafeBufferPointer { p in
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
            try Self.copyRows(of: shapes, start: 0, rows: rows, into: &deltas) { try engine.deltas(layer: $0) }
            return loss
        }
        return splitGradients(grad, inputs: dx, deltas: deltas, rows: rows, loss: loss)
    }

    // MARK: - Forward and backward for a loss of your own

    /// Runs the network on a batch and records what every layer computed:
    /// `A_0 = X`, then for each layer `Z_l = A_{l−1}·W_l + b_l` and
    /// `A_l = f_l(Z_l)` (`n × n_out` each), with the parameters they were
    /// computed with. The trace's ``ForwardTrace/outputs`` are `A_L`, the
    /// values ``predict(_:)`` returns.
    ///
    /// Nothing in the network changes. The C engine computes the batch in
    /// chunks of at most 1024 rows (like `predict`), so the scratch memory
    /// stays that of 1024 rows whatever the batch; the trace itself holds
    /// `2·n·Σ_l n_out(l)` values, checked against ``memoryBudget`` first.
    ///
    /// Follow with ``backward(_:outputGradient:)`` to backpropagate a loss
    /// the library does not know.
    /// - Throws: like ``predict(_:)``: unless `inputs` is `n × inputSize`
    ///   (n ≥ 1) and finite; ``BackpropError/overflow(what:row:)`` when a
    ///   pre-activation or an output is NaN or infinite, naming the first
    ///   such row and layer; ``BackpropError/insufficientMemory(what:required:available:)``.
    public func forward(_ inputs: Matrix<Scalar>) throws -> ForwardTrace<Scalar> {
        try validateInputs(inputs, what: "inputs")
        let rows = inputs.rows
        var z = try layerArrays(rows: rows, copies: 2, for: "the trace of \(rows) rows")
        var a = shapes.map { [Scalar](repeating: 0, count: rows * $0.outputSize) }
        try forwardInChunks(inputs, outputs: nil) { engine, start, count in
            try Self.copyRows(of: shapes, start: start, rows: count, into: &z) { try engine.preactivations(layer: $0) }
            try Self.copyRows(of: shapes, start: start, rows: count, into: &a) { try engine.activations(layer: $0) }
        }
        // Finite Z_l give finite A_l for every activation; the outputs are
        // checked as predict checks them.
        if z.contains(where: { Kernels.firstNonFinite($0) != nil }) || Kernels.firstNonFinite(a[a.count - 1]) != nil {
            throw try overflow(in: inputs, targets: nil)
        }
        let layers = zip(shapes, zip(z, a)).map { shape, values in
            LayerTrace(preActivations: Matrix(uncheckedRows: rows, columns: shape.outputSize, elements: values.0),
                       activations: Matrix(uncheckedRows: rows, columns: shape.outputSize, elements: values.1))
        }
        return ForwardTrace(inputs: inputs, layers: layers, parameters: parameters, shapes: shapes, kernels: kernels)
    }

    /// Backpropagates `dL/dA_L`, the gradient of a loss of your own with
    /// respect to the outputs of `trace` (`n × outputSize`), through the
    /// state the trace recorded:
    ///
    /// ```
    /// δ_L = dL/dA_L ⊙ f'_L(Z_L)               (softmax: each row times its Jacobian)
    /// δ_{l−1} = (δ_l · W_lᵀ) ⊙ f'_{l−1}(Z_{l−1})
    /// dL/dW_l = A_{l−1}ᵀ · δ_l,   dL/db_l = Σ_rows δ_l,   dL/dX = δ_0 · W_0ᵀ
    /// ```
    ///
    /// Returns every layer's `dL/dW_l`, `dL/db_l` and `dL/dZ_l = δ_l`
    /// (``LayerGradients/preActivations``, `n × n_out`) and `dL/dX`; the
    /// loss is `nil` (the library does not know it). The gradients are those
    /// of `L` itself: a mean over the rows is yours to put into `dL/dA_L`
    /// (divide by `n`). Seed 02's layer: `y = Σ_j relu(z_j)`, `L = y²`, so
    /// `dL/dA_L = 2y` in every column.
    ///
    /// Runs in the trace's chunks of at most 1024 rows, on the kernel set
    /// the trace was recorded with; the C engine repeats each chunk's
    /// forward pass bit for bit, and the chunks' parameter gradients are
    /// summed.
    /// - Throws: ``BackpropError/parametersChangedSinceForward`` when the
    ///   network's parameters are no longer those of the trace (a
    ///   `setWeights`, `setBias`, `apply` or `train` since, unless the same
    ///   values were set back) or the trace comes from a network of another
    ///   shape; ``BackpropError/shapeMismatch(what:expected:got:)`` unless
    ///   `outputGradient` is `n × outputSize`;
    ///   ``BackpropError/nonFinite(what:row:column:)`` for a NaN or infinity
    ///   in it; ``BackpropError/insufficientMemory(what:required:available:)``.
    public func backward(_ trace: ForwardTrace<Scalar>, outputGradient: Matrix<Scalar>) throws -> Gradients<Scalar> {
        guard trace.matches(self) else { throw BackpropError.parametersChangedSinceForward }
        let rows = trace.inputs.rows
        guard outputGradient.rows == rows, outputGradient.columns == outputSize else {
            throw BackpropError.shapeMismatch(what: "output gradient", expected: "\(rows) × \(outputSize)",
                                              got: "\(outputGradient.rows) × \(outputGradient.columns)")
        }
        if let (r, c) = outputGradient.firstNonFinite() {
            throw BackpropError.nonFinite(what: "output gradient", row: r, column: c)
        }
        let chunk = Swift.min(rows, Self.evaluationChunk)
        let chunked = rows > chunk
        var deltas = try layerArrays(rows: rows, copies: 1,
                                     extra: rows * inputSize + (chunked ? parameterCount : 0),
                                     for: "the gradients of \(rows) rows")
        var grad = [Scalar](repeating: 0, count: parameterCount)
        var part = [Scalar](repeating: 0, count: chunked ? parameterCount : 0)
        var dx = [Scalar](repeating: 0, count: rows * inputSize)
        var network = self
        network.kernels = trace.kernels
        try network.engines.withEngine(for: network, capacity: chunk) { engine in
            try trace.parameters.withUnsafeBufferPointer { p in
                try trace.inputs.elements.withUnsafeBufferPointer { x in
                    try outputGradient.elements.withUnsafeBufferPointer { og in
                        var start = 0
                        while start < rows {
                            let count = Swift.min(chunk, rows - start)
                            func backpropagate(into gradient: inout [Scalar]) throws {
                                try gradient.withUnsafeMutableBufferPointer { g in
                                    try dx.withUnsafeMutableBufferPointer { d in
                                        try engine.backward(parameters: p.baseAddress!, rows: count,
                                                            x: x.baseAddress! + start * inputSize, ldx: inputSize,
                                                            outputGradient: og.baseAddress! + start * outputSize,
                                                            grad: g.baseAddress!, dx: d.baseAddress! + start * inputSize)
                                    }
                                }
                            }
                            // the first chunk's gradient straight into grad, the others' added to it
                            if start == 0 {
                                try backpropagate(into: &grad)
                            } else {
                                try backpropagate(into: &part)
                                for i in grad.indices { grad[i] += part[i] }
                            }
                            try Self.copyRows(of: shapes, start: start, rows: count, into: &deltas) {
                                try engine.deltas(layer: $0)
                            }
                            start += count
                        }
                    }
                }
            }
        }
        return splitGradients(grad, inputs: dx, deltas: deltas, rows: rows, loss: nil)
    }

    /// The gradients of a loss whose `dL/dŶ` at the outputs of `inputs` is
    /// `outputGradient` (`n × outputSize`): ``backward(_:outputGradient:)``
    /// from a forward pass of `inputs` (the gradient check of a loss given
    /// by a closure).
    func backpropagate(inputs: Matrix<Scalar>, outputGradient: Matrix<Scalar>) throws -> Gradients<Scalar> {
        try backward(forward(inputs), outputGradient: outputGradient)
    }

    /// One gradient-descent step: `W_l ← W_l − η·dL/dW_l`, `b_l ← b_l − η·dL/db_l`
    /// for every layer (`η` the learning rate, rounded to `Scalar`), with
    /// gradients from ``gradients(on:)``, ``backward(_:outputGradient:)`` or
    /// built by hand. Only each layer's `weights` and `bias` are read
    /// (not ``LayerGradients/preActivations``, ``Gradients/inputs`` or the loss).
    /// - Throws: for a learning rate that is not finite and > 0, gradients whose
    ///   shapes do not match the layers (one entry per layer, `n_in × n_out`
    ///   weights, `n_out` bias values), or non-finite gradients (nothing is
    ///   changed then).
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
