extension Network {
    /// Compares the gradients of ``gradients(on:)`` with central finite
    /// differences of the loss, `(L(θ + ε) − L(θ − ε)) / 2ε`, entry by entry.
    ///
    /// `precision` chooses the arithmetic under test (see
    /// ``GradientCheckPrecision``): `.double` (the default) backpropagates
    /// through the network and data converted to `Double`, a check of the
    /// formulas; `.float` through the network and data converted to `Float`
    /// (for a `Network<Float>`, its own parameters and data) with the
    /// single-precision kernels. Either way the finite differences are
    /// computed in double precision from exactly those parameters and data
    /// (every `Float` converts to `Double` exactly).
    ///
    /// An entry passes when both values are finite and
    /// `|analytic − numeric| ≤ atol + rtol·|numeric|`, as in PyTorch's
    /// `gradcheck`. The absolute term covers the rounding of both sides,
    /// which no relative tolerance can. By default (`atol` `nil`) it is
    /// `ν + τ·E`:
    ///
    /// - `ν = 4u·S̄/ε`, with u = 2⁻⁵³, bounds the finite difference's own
    ///   rounding at the entry: `S̄ = Σ S_i / n` over the rows the entry
    ///   affects (all n rows for a parameter, its own row for an input) and
    ///   `S_i = max(|ℓ_i(θ+ε)|, |ℓ_i(θ−ε)|, 1, max_j |z_ij|)` is the scale of
    ///   row i's loss terms (O(1) probabilities and targets, or the output
    ///   logits z that log-sum-exp works on): ν ≈ 4.4·10⁻¹⁰ for ε = 10⁻⁶
    ///   when every term is at most 1. The numeric gradient is formed row
    ///   by row, `Σ_i (ℓ_i(θ+ε) − ℓ_i(θ−ε)) / (2ε·n)` with `L = Σ_i ℓ_i / n`,
    ///   so the rounding of the batch sum (which grows with the number of
    ///   rows n) never enters the difference: the bound, and with it the
    ///   test, holds for a batch of any size.
    /// - `τ·E` bounds backpropagation's own rounding in the precision
    ///   checked. `E` is the entry's first-order rounding magnitude: the
    ///   forward and backward passes evaluated once more in double precision
    ///   with, for every operation, the sum of the absolute values of its
    ///   terms (its rounding) plus the magnitudes of its operands' errors
    ///   weighted by its partial derivatives, so that a computed value is
    ///   off by about `u·E` per operation. Where terms cancel, E stays large
    ///   while the gradient shrinks: a residual `Ŷ − Y` near 0, a saturated
    ///   sigmoid or softmax, a minimum where the rows' contributions to a
    ///   gradient sum to almost nothing; that is where rounding shows, and
    ///   where the allowance grows. `τ = 32u_p·√K`: `u_p` the unit roundoff
    ///   of the precision checked (2⁻⁵³ for `.double`, 2⁻²⁴ for `.float`),
    ///   √K for sums of K terms whose roundings add up like a random walk
    ///   (K the longest sum: the batch's rows, or the widest layer or
    ///   input), and 32 for the few roundings of each function evaluation
    ///   (exp, division) and a margin (on random networks of every
    ///   activation and loss, the float kernels stay within 1/10 of it).
    ///   τ is 3.6·10⁻¹⁵·√K in `.double`, where τ·E lies far below ν, and
    ///   1.9·10⁻⁶·√K in `.float`.
    ///
    /// Entries whose finite-difference stencil crosses a ReLU kink are
    /// listed in ``GradientCheckReport/kinks``, not judged (the loss is not
    /// differentiable there); so are, in `.float`, the entries whose
    /// gradient passes through a ReLU or leaky-ReLU pre-activation that the
    /// float forward pass puts on the other side of 0 than the double one
    /// (a rounding at the kink, which changes the derivative by O(1)): the
    /// unit's weights and bias, every parameter of the layers below it, and
    /// the inputs of its row.
    ///
    /// The check fails, whatever the errors, when every compared gradient
    /// (analytic and numeric) is zero (such a check proves nothing), and
    /// when any gradient is NaN or infinite.
    ///
    /// - Parameters:
    ///   - data: the batch whose mean loss is differentiated.
    ///   - epsilon: the finite-difference step (default 10⁻⁶).
    ///   - relativeTolerance: `rtol` (default 10⁻⁶; finite, > 0).
    ///   - absoluteTolerance: `atol` (finite, ≥ 0); `nil` (the default)
    ///     uses the rounding bound `ν + τ·E` of each entry.
    ///   - maxParameters: compare at most this many entries, sampled at random
    ///     (seeded, so reproducible) from all weights, biases and inputs;
    ///     `nil` compares all of them.
    ///   - includeInputs: also check `dL/dX`.
    ///   - precision: the arithmetic of the backpropagation checked (default `.double`).
    /// - Throws: ``BackpropError`` for invalid data or settings, or a
    ///   network or data that overflows `Float` in `.float`.
    public func checkGradients(
        on data: Dataset<Scalar>, epsilon: Double = 1e-6, relativeTolerance: Double = 1e-6,
        absoluteTolerance: Double? = nil, maxParameters: Int? = nil, includeInputs: Bool = true,
        precision: GradientCheckPrecision = .double
    ) throws -> GradientCheckReport {
        let settings = try GradientCheckSettings(
            epsilon: epsilon, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
            maxParameters: maxParameters, includeInputs: includeInputs, precision: precision).validated()
        switch precision {
        case .double:
            return try converted(to: Double.self).checkOwnGradients(on: data.converted(to: Double.self), settings)
        case .float:
            return try converted(to: Float.self).checkOwnGradients(on: data.converted(to: Float.self), settings)
        }
    }

    /// ``checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:precision:)``
    /// with dense targets (`n × outputSize`).
    public func checkGradients(
        inputs: Matrix<Scalar>, targets: Matrix<Scalar>, epsilon: Double = 1e-6,
        relativeTolerance: Double = 1e-6, absoluteTolerance: Double? = nil, maxParameters: Int? = nil,
        precision: GradientCheckPrecision = .double
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, targets: targets), epsilon: epsilon,
                           relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                           maxParameters: maxParameters, precision: precision)
    }

    /// ``checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:precision:)``
    /// with class labels (`n` labels in `0 ..< classes`).
    public func checkGradients(
        inputs: Matrix<Scalar>, labels: [Int], epsilon: Double = 1e-6,
        relativeTolerance: Double = 1e-6, absoluteTolerance: Double? = nil, maxParameters: Int? = nil,
        precision: GradientCheckPrecision = .double
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, labels: labels), epsilon: epsilon,
                           relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                           maxParameters: maxParameters, precision: precision)
    }

    /// Checks the gradients of a loss the library does not know: `loss`
    /// maps the outputs `Ŷ` (`n × outputSize`) to the loss value `L(Ŷ)` and
    /// `dL/dŶ` (`n × outputSize`). For example `L = Σ_ij (ŷ_ij − y_ij)⁴ / n`:
    ///
    /// ```swift
    /// let report = try net.checkGradients(inputs: x) { outputs in
    ///     var value = 0.0
    ///     var gradient = try Matrix<Double>(rows: outputs.rows, columns: outputs.columns)
    ///     for i in 0..<outputs.rows {
    ///         for j in 0..<outputs.columns {
    ///             let r = outputs[i, j] - y[i, j]
    ///             value += r * r * r * r / Double(outputs.rows)
    ///             gradient[i, j] = 4 * r * r * r / Double(outputs.rows)
    ///         }
    ///     }
    ///     return (value, gradient)
    /// }
    /// ```
    ///
    /// The analytic gradients backpropagate `dL/dŶ` at θ through the
    /// network (`dZ_L = dL/dŶ ⊙ f'_L(Z_L)`, then the delta rule of
    /// ``gradients(on:)``); the numeric ones are the central differences
    /// `(L(θ + ε) − L(θ − ε)) / 2ε` of the closure's loss of the outputs
    /// at θ ± ε. The comparison is that of
    /// ``checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:precision:)``:
    /// the same groups, kink detection, tolerance `atol + rtol·|numeric|`
    /// and failures, in double precision (the `.double` check).
    ///
    /// The closure works on `Matrix<Double>` whatever `Scalar` is: finite
    /// differences need the loss to about 16 digits (in `Float`, the
    /// rounding of `L`, about 6·10⁻⁸·|L|, over a step of 2·10⁻⁶ would leave
    /// an error of some 0.03·|L| in every numeric gradient), so the network is
    /// converted exactly to `Double` and the closure sees, and returns,
    /// doubles. It is called once at θ, where its gradient is used, and
    /// twice per compared entry, where only its value is, always with
    /// finite outputs.
    ///
    /// The library cannot see the terms the closure sums, so the default
    /// absolute tolerance (`atol` `nil`) bounds the rounding of the
    /// difference from what it can see: `ν = 4u·S/ε` (u = 2⁻⁵³) with
    /// `S = √n·max(|L(θ+ε)|, |L(θ−ε)|) + Σ_i Σ_j |dL/dŷ_ij|·max(1, |ŷ_ij|)`.
    /// The first term is the closure's own rounding, about `u·√n·|L|` for
    /// a sum or mean of n terms of one sign whose roundings add up like a
    /// random walk (for terms of mixed signs, pass an `atol`); the second
    /// how far the rounding of the outputs moves
    /// L, with `dL/dŶ` and `Ŷ` at θ over the rows the entry affects (every
    /// row for a parameter, its own row for an input). To it adds `τ·E` as
    /// in the check of the network's loss, with `|dL/dŶ|` as the rounding
    /// magnitude of the closure's gradient (whose terms the library cannot
    /// see either): in double precision, some 10⁻¹⁴ of the gradient.
    ///
    /// - Parameters:
    ///   - inputs: the batch, `n × inputSize` (finite, n ≥ 1).
    ///   - epsilon: the finite-difference step (default 10⁻⁶).
    ///   - relativeTolerance: `rtol` (default 10⁻⁶; finite, > 0).
    ///   - absoluteTolerance: `atol` (finite, ≥ 0); `nil` (the default)
    ///     uses the rounding bound of each entry described above.
    ///   - maxParameters: compare at most this many entries, sampled at
    ///     random (seeded) from all weights, biases and inputs; `nil`
    ///     compares all of them.
    ///   - includeInputs: also check `dL/dX`.
    ///   - loss: `L(Ŷ)` and `dL/dŶ` for outputs `Ŷ` (`n × outputSize`).
    /// - Throws: ``BackpropError`` for invalid inputs or settings, an
    ///   overflowing forward pass (``BackpropError/overflow(what:row:)``), a
    ///   gradient from `loss` whose shape is not `n × outputSize`
    ///   (``BackpropError/shapeMismatch(what:expected:got:)``), a loss value
    ///   or gradient that is NaN or infinite at θ
    ///   (``BackpropError/nonFinite(what:row:column:)``, row and column 0 for
    ///   the value); and whatever `loss` throws.
    public func checkGradients(
        inputs: Matrix<Scalar>, epsilon: Double = 1e-6, relativeTolerance: Double = 1e-6,
        absoluteTolerance: Double? = nil, maxParameters: Int? = nil, includeInputs: Bool = true,
        loss: (_ outputs: Matrix<Double>) throws -> (value: Double, gradient: Matrix<Double>)
    ) throws -> GradientCheckReport {
        let settings = try GradientCheckSettings(
            epsilon: epsilon, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
            maxParameters: maxParameters, includeInputs: includeInputs, precision: .double).validated()
        let reference = try converted(to: Double.self)
        let x = inputs.converted(to: Double.self)
        let outputs = try reference.predict(x)
        let (value, gradient) = try loss(outputs)
        guard value.isFinite else {
            throw BackpropError.nonFinite(what: "loss value returned by the loss closure", row: 0, column: 0)
        }
        guard gradient.rows == outputs.rows, gradient.columns == outputs.columns else {
            throw BackpropError.shapeMismatch(what: "gradient returned by the loss closure",
                                              expected: "\(outputs.rows) × \(outputs.columns) (the outputs' shape)",
                                              got: "\(gradient.rows) × \(gradient.columns)")
        }
        if let (r, c) = gradient.firstNonFinite() {
            throw BackpropError.nonFinite(what: "gradient returned by the loss closure", row: r, column: c)
        }
        let analytic = try reference.backpropagate(inputs: x, outputGradient: gradient)
        return try withoutActuallyEscaping(loss) { loss in
            try reference.compareGradients(analytic, loss: .closure(loss, outputs: outputs, gradient: gradient),
                                           inputs: x, kernelSigns: nil, unitRoundoff: Double.ulpOfOne / 2,
                                           settings: settings)
        }
    }

    /// The check of this network's own kernels: ``gradients(on:)`` against
    /// the double-precision reference.
    func checkOwnGradients(on data: Dataset<Scalar>, _ settings: GradientCheckSettings) throws -> GradientCheckReport {
        try checkGradients(on: data, analytic: gradients(on: data), settings: settings)
    }

    /// The comparison behind `checkGradients(on:...)`, with the gradients
    /// this network's kernels computed on `data` given (tests feed it
    /// deliberately wrong ones): the reference is the network and data
    /// converted to `Double`, the rounding allowed that of `Scalar`.
    func checkGradients(on data: Dataset<Scalar>, analytic: Gradients<Scalar>,
                        settings: GradientCheckSettings) throws -> GradientCheckReport {
        let reference = try converted(to: Double.self)
        let batch = data.converted(to: Double.self)
        let targets = try reference.resolve(batch)
        return try reference.compareGradients(analytic.converted(to: Double.self), loss: .builtIn(targets),
                                              inputs: batch.inputs, kernelSigns: try kinkSigns(on: data.inputs),
                                              unitRoundoff: Double(Scalar.ulpOfOne) / 2, settings: settings)
    }

    /// The sign pattern `z > 0` of every ReLU-family layer in this
    /// network's own forward pass over `inputs` (`nil` for other layers).
    func kinkSigns(on inputs: Matrix<Scalar>) throws -> [[Bool]?] {
        try engines.withEngine(for: self, capacity: inputs.rows) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try inputs.elements.withUnsafeBufferPointer { x in
                    try engine.forward(parameters: p.baseAddress!, rows: inputs.rows, x: x.baseAddress!,
                                       ldx: inputSize, out: nil)
                }
            }
            return try engine.kinkSigns(shapes: shapes, rows: inputs.rows)
        }
    }
}

/// The settings of a gradient check.
struct GradientCheckSettings {
    var epsilon = 1e-6
    var relativeTolerance = 1e-6
    var absoluteTolerance: Double?
    var maxParameters: Int?
    var includeInputs = true
    /// The precision of the analytic gradients (named in the report).
    var precision = GradientCheckPrecision.double

    /// The same settings, once each is checked to be in range.
    func validated() throws -> GradientCheckSettings {
        guard epsilon.isFinite, epsilon > 0 else {
            throw BackpropError.invalidHyperparameter(name: "epsilon", value: "\(epsilon)", expected: "finite and > 0")
        }
        guard relativeTolerance.isFinite, relativeTolerance > 0 else {
            throw BackpropError.invalidHyperparameter(name: "relativeTolerance", value: "\(relativeTolerance)",
                                                      expected: "finite and > 0")
        }
        if let absoluteTolerance, !(absoluteTolerance.isFinite && absoluteTolerance >= 0) {
            throw BackpropError.invalidHyperparameter(name: "absoluteTolerance", value: "\(absoluteTolerance)",
                                                      expected: "finite and ≥ 0, or nil")
        }
        if let maxParameters, maxParameters < 1 {
            throw BackpropError.invalidHyperparameter(name: "maxParameters", value: "\(maxParameters)",
                                                      expected: "≥ 1 or nil")
        }
        return self
    }
}

extension Gradients {
    /// The same gradients in another precision.
    func converted<Other: NetworkScalar>(to _: Other.Type = Other.self) -> Gradients<Other> {
        Gradients<Other>(layers: layers.map {
            LayerGradients(weights: $0.weights.converted(), bias: $0.bias.map { Other($0) })
        }, inputs: inputs.converted(), loss: loss)
    }
}
