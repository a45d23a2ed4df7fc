import CKernels

// The rounding of backpropagation, entry by entry: a first-order running
// error bound (Higham, Accuracy and Stability of Numerical Algorithms,
// §3.3), evaluated in double precision alongside the values.
//
// Every quantity x of the forward and backward passes gets a magnitude E_x
// such that, computed with unit roundoff u, x is off by about u·E_x: each
// operation adds the rounding of its result, at most u times the sum of
// the absolute values of the terms it adds up, and passes on the errors of
// its operands, weighted by the absolute values of its partial derivatives.
// Unlike the value, E does not shrink when terms cancel, which is where
// rounding shows: at a residual Ŷ − Y near 0, at a saturated sigmoid or
// softmax, at a minimum where the rows' contributions to a gradient sum to
// almost nothing.
//
// With |·| element-wise, a = A_l, p a softmax row, D the values of the
// backward pass (D_A = dL/dA, D_Z = dL/dZ, computed here in double), and
// the inputs X and parameters exact:
//
//   forward, A_0 = X (E = 0)
//     E_Z  = E_A(l−1)·|W_l| + |A_(l−1)|·|W_l| + |b_l|
//     E_A  = |f'(Z)| ⊙ E_Z + |A|                                element-wise f
//     E_p  = p ⊙ ((1 − 2p) ⊙ E_Z + Σ_k p_k·E_Z,k) + p              softmax (|J| = p_j·|δ_jk − p_k|)
//   the loss's gradient D_A(L) (or D_Z(L) when fused), with E:
//     2(A − Y)/(n·k),  2(E_A + |A| + |Y|)/(n·k)                  mean squared error
//     (A − Y)/(n·k),   (E_A + |A| + |Y|)/(n·k)                   sigmoid, binary cross-entropy
//     (p·Σy − y)/n,    (E_p·Σ|y| + p·Σ|y| + |y|)/n              softmax, categorical cross-entropy
//     dL/dŶ,           |dL/dŶ|                                  a loss given by a closure
//   backward through the activation (unless fused):
//     D_Z = D_A ⊙ f',  E_Z = E_A ⊙ |f'| + |D_A| ⊙ F + |D_Z|        element-wise f
//     D_Z = p ⊙ (D_A − s), s = Σ_k p_k·D_A,k:                   softmax
//       E_Z = p ⊙ ((1 − 2p) ⊙ E_A + Σ_k p_k·E_A,k)               (errors of D_A)
//           + |(1 − p) ⊙ D_A − s| ⊙ E_p + p ⊙ (Σ_k |D_A,k|·E_p,k − |D_A| ⊙ E_p)   (of p)
//           + p ⊙ (|D_A| + Σ_k p_k·|D_A,k|) + |D_Z|               (rounding)
//   and through the layer:
//     E_dW = E_A(l−1)ᵀ·|D_Z| + |A_(l−1)|ᵀ·(E_Z + |D_Z|),  E_db = Σ_rows (E_Z + |D_Z|)
//     D_A(l−1) = D_Z·W_lᵀ,  E_A(l−1) = (E_Z + |D_Z|)·|W_l|ᵀ   (the last one is E_dX)
//
// F bounds the error of f' in units of u: |f'| for the piecewise-linear
// activations (exact up to the rounding of a leak slope),
// f'·(1 + |1 − 2a|·E_Z) for sigmoid (f' = a·f(−z), accurate in z), and
// 1 + a² + 2|a|·E_A for tanh (1 − a², which cancels as |a| nears 1).
extension Network where Scalar == Double {
    /// The rounding magnitude `E` of every gradient entry, laid out like
    /// the gradients (the rules are in the comment above): backpropagation
    /// with unit roundoff u computes each entry to within about u·E per
    /// operation along the way.
    func roundingBounds(inputs x: Matrix<Double>, loss: CheckedLoss) throws -> Gradients<Double> {
        let n = x.rows
        let layers = try forwardBounds(inputs: x)

        // The loss's gradient.
        let last = shapes.count - 1, k = outputSize
        let a = layers[last].activations, errorA = layers[last].activationErrors
        var value = [Double](repeating: 0, count: n * k), error = value
        var fused = false
        switch loss {
        case let .builtIn(targets):
            let y = Self.denseTargets(targets, count: n * k, width: k)
            switch self.loss {
            case .meanSquaredError, .binaryCrossEntropy:
                fused = self.loss == .binaryCrossEntropy
                let scale = (fused ? 1 : 2) / Double(n * k)
                for i in value.indices {
                    value[i] = scale * (a[i] - y[i])
                    error[i] = scale * (errorA[i] + abs(a[i]) + abs(y[i]))
                }
            case .categoricalCrossEntropy:
                fused = true
                let sums = rowSums(n, k) { y[$0] }, totals = rowSums(n, k) { abs(y[$0]) }
                for i in value.indices {
                    value[i] = (a[i] * sums[i / k] - y[i]) / Double(n)
                    error[i] = ((errorA[i] + a[i]) * totals[i / k] + abs(y[i])) / Double(n)
                }
            }
        case let .closure(_, _, gradient):
            value = gradient.elements
            error = value.map(abs)
        }

        var gradients: [LayerGradients<Double>] = []
        for l in shapes.indices.reversed() {
            let width = shapes[l].outputSize, inputWidth = shapes[l].inputSize
            if !(l == last && fused) { (value, error) = try layers[l].backward(value: value, error: error, rows: n) }
            let magnitude = value.map(abs)
            // E_Z + |D_Z|: the errors dZ carries into the products, and the rounding of each.
            let carried = zip(error, magnitude).map { $0 + $1 }
            let previous = l > 0 ? layers[l - 1].activations.map(abs) : x.elements.map(abs)
            var weights = try Matrix(uncheckedRows: n, columns: inputWidth, elements: previous).transposed()
                .multiplied(by: Matrix(uncheckedRows: n, columns: width, elements: carried))
            if l > 0 {
                let inherited = try Matrix(uncheckedRows: n, columns: inputWidth,
                                           elements: layers[l - 1].activationErrors).transposed()
                    .multiplied(by: Matrix(uncheckedRows: n, columns: width, elements: magnitude))
                for i in weights.elements.indices { weights.elements[i] += inherited.elements[i] }
            }
            var bias = [Double](repeating: 0, count: width)
            for i in carried.indices { bias[i % width] += carried[i] }
            gradients.append(LayerGradients(weights: weights, bias: bias))
            let shape = shapes[l]
            let w = Matrix(uncheckedRows: inputWidth, columns: width, elements: Array(parameters[shape.weightRange]))
            value = try Matrix(uncheckedRows: n, columns: width, elements: value)
                .multiplied(by: w.transposed()).elements
            error = try Matrix(uncheckedRows: n, columns: width, elements: carried)
                .multiplied(by: absoluteWeights(layer: l).transposed()).elements
        }
        return Gradients(layers: gradients.reversed(),
                         inputs: Matrix(uncheckedRows: n, columns: inputSize, elements: error), loss: nil)
    }

    /// One layer of the forward pass with its rounding magnitudes.
    struct LayerBounds {
        var activation: Activation
        var width: Int
        /// `Z_l`.
        var preactivations: [Double]
        /// `A_l`.
        var activations: [Double]
        /// `E_Al`.
        var activationErrors: [Double]
        /// `f'(Z_l)` (element-wise activations; unused for softmax).
        var derivatives: [Double]
        /// `F_l`.
        var derivativeErrors: [Double]

        /// `(D_Z, E_Z)` from `(D_A, E_A)`, through the activation.
        func backward(value: [Double], error: [Double], rows: Int) throws -> ([Double], [Double]) {
            var outValue = [Double](repeating: 0, count: value.count), outError = outValue
            try check(bp_activation_backward(activation.kernel, activation.parameter, rows, width, preactivations,
                                             activations, value, &outValue), "bp_activation_backward")
            let p = activations, errorP = activationErrors
            if activation == .softmax {
                let s = rowSums(rows, width) { p[$0] * value[$0] }
                let spreadE = rowSums(rows, width) { p[$0] * error[$0] }
                let carriedP = rowSums(rows, width) { abs(value[$0]) * errorP[$0] }
                let terms = rowSums(rows, width) { p[$0] * abs(value[$0]) }
                for i in value.indices {
                    let r = i / width
                    outError[i] = p[i] * ((1 - 2 * p[i]) * error[i] + spreadE[r])
                        + abs((1 - p[i]) * value[i] - s[r]) * errorP[i]
                        + p[i] * (carriedP[r] - abs(value[i]) * errorP[i])
                        + p[i] * (abs(value[i]) + terms[r]) + abs(outValue[i])
                }
            } else {
                for i in value.indices {
                    outError[i] = error[i] * abs(derivatives[i]) + abs(value[i]) * derivativeErrors[i]
                        + abs(outValue[i])
                }
            }
            return (outValue, outError)
        }
    }

    /// The forward pass of `x` with the rounding magnitudes of every layer.
    func forwardBounds(inputs x: Matrix<Double>) throws -> [LayerBounds] {
        let n = x.rows
        var preactivations: [[Double]] = []
        try engines.withEngine(for: self, capacity: n) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try x.elements.withUnsafeBufferPointer { xp in
                    try engine.forward(parameters: p.baseAddress!, rows: n, x: xp.baseAddress!, ldx: inputSize,
                                       out: nil)
                }
            }
            for (l, shape) in shapes.enumerated() {
                let z = try engine.preactivations(layer: l)
                preactivations.append(Array(UnsafeBufferPointer(start: z, count: n * shape.outputSize)))
            }
        }
        var layers: [LayerBounds] = []
        var previous = x.elements.map(abs), previousErrors = [Double](repeating: 0, count: x.elements.count)
        for (l, shape) in shapes.enumerated() {
            let width = shape.outputSize, count = n * width, act = shape.activation
            let z = preactivations[l]
            var a = [Double](repeating: 0, count: count), derivative = a
            try check(bp_activation_forward(act.kernel, act.parameter, n, width, z, &a), "bp_activation_forward")
            try check(bp_activation_backward(act.kernel, act.parameter, n, width, z, a,
                                             [Double](repeating: 1, count: count), &derivative),
                      "bp_activation_backward")
            // E_Z = E_A(l−1)·|W| + |A(l−1)|·|W| + |b|
            let absoluteW = absoluteWeights(layer: l)
            var errorZ = try Matrix(uncheckedRows: n, columns: shape.inputSize, elements: previousErrors)
                .multiplied(by: absoluteW).elements
            let terms = try Matrix(uncheckedRows: n, columns: shape.inputSize, elements: previous)
                .multiplied(by: absoluteW).elements
            let bias = Array(parameters[shape.biasRange])
            for i in errorZ.indices { errorZ[i] += terms[i] + abs(bias[i % width]) }

            var errorA = [Double](repeating: 0, count: count), derivativeErrors = errorA
            let spreads = rowSums(n, width) { a[$0] * errorZ[$0] }
            for i in 0..<count {
                switch act {
                case .softmax: errorA[i] = a[i] * ((1 - 2 * a[i]) * errorZ[i] + spreads[i / width]) + a[i]
                case .identity, .relu, .leakyReLU, .sigmoid, .tanh:
                    errorA[i] = abs(derivative[i]) * errorZ[i] + abs(a[i])
                }
                switch act {
                case .identity, .relu, .leakyReLU, .softmax: derivativeErrors[i] = abs(derivative[i])
                case .sigmoid: derivativeErrors[i] = derivative[i] * (1 + abs(1 - 2 * a[i]) * errorZ[i])
                case .tanh: derivativeErrors[i] = 1 + a[i] * a[i] + 2 * abs(a[i]) * errorA[i]
                }
            }
            layers.append(LayerBounds(activation: act, width: width, preactivations: z,
                                      activations: a, activationErrors: errorA, derivatives: derivative,
                                      derivativeErrors: derivativeErrors))
            previous = a.map(abs)
            previousErrors = errorA
        }
        return layers
    }

    /// `|W_l|`, `n_in × n_out`.
    func absoluteWeights(layer l: Int) -> Matrix<Double> {
        let shape = shapes[l]
        return Matrix(uncheckedRows: shape.inputSize, columns: shape.outputSize,
                      elements: parameters[shape.weightRange].map(abs))
    }

    /// The targets as `n × k` values (labels as one-hot rows).
    static func denseTargets(_ targets: ResolvedTargets<Double>, count: Int, width: Int) -> [Double] {
        switch targets {
        case let .dense(values): return values
        case let .labels(labels):
            var values = [Double](repeating: 0, count: count)
            for (i, label) in labels.enumerated() { values[i * width + label] = 1 }
            return values
        }
    }
}

/// `Σ_j term(i·width + j)` for each row i of a `rows × width` array.
func rowSums(_ rows: Int, _ width: Int, _ term: (Int) -> Double) -> [Double] {
    (0..<rows).map { i in (i * width ..< (i + 1) * width).reduce(0.0) { $0 + term($1) } }
}
