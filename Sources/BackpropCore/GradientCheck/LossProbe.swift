import CKernels

/// The loss a gradient check differentiates.
enum CheckedLoss {
    /// The network's own loss against these targets, evaluated by the loss
    /// kernel row by row.
    case builtIn(ResolvedTargets<Double>)
    /// A loss of the outputs given by a closure, `L(Ŷ)`, with the outputs
    /// at θ and the gradient `dL/dŶ` it returned there; the probe calls it
    /// for values only.
    case closure((Matrix<Double>) throws -> (value: Double, gradient: Matrix<Double>),
                 outputs: Matrix<Double>, gradient: Matrix<Double>)
}

/// Evaluates the loss with one entry perturbed, on a private copy of the
/// parameters and inputs, and watches the sign pattern of every
/// ReLU-family layer to detect kink crossings.
struct LossProbe {
    let network: Network<Double>
    var parameters: [Double]
    var inputs: Matrix<Double>
    let loss: CheckedLoss
    let engine: Engine<Double>
    /// The loss kernel and whether it reads the logits (fused) or the outputs.
    let kernel: (kind: bp_loss, onLogits: Bool)
    /// The outputs of the last forward pass (`rows × outputSize`).
    var outputs: [Double]
    /// The sign pattern at the unperturbed parameters.
    private(set) var baselineSigns: [[Bool]?] = []
    /// For a closure, `Σ_j |dL/dŷ_ij|·max(1, |ŷ_ij|)` at θ for each row i:
    /// how far the rounding of row i's outputs moves `L`.
    let outputScales: [Double]

    /// One evaluation of the loss: for the network's loss, each row's loss
    /// `ℓ_i` (the batch loss is their mean) with the scale of its rounding,
    /// `max(|ℓ_i|, 1, max_j |z_ij|)`; for a closure, its one value `L` with
    /// `√n·|L|`.
    struct Terms {
        var losses: [Double]
        var scales: [Double]
    }

    init(network: Network<Double>, inputs: Matrix<Double>, loss: CheckedLoss) throws {
        self.network = network
        self.parameters = network.parameters
        self.inputs = inputs
        self.loss = loss
        self.engine = try Engine(network, capacity: inputs.rows)
        self.kernel = network.loss.kernel(for: network.shapes[network.shapes.count - 1].activation)
        self.outputs = [Double](repeating: 0, count: inputs.rows * network.outputSize)
        if case let .closure(_, outputs, gradient) = loss {
            outputScales = rowSums(outputs.rows, outputs.columns) {
                abs(gradient.elements[$0]) * Swift.max(1, abs(outputs.elements[$0]))
            }
        } else {
            outputScales = []
        }
        try forward()
        baselineSigns = try engine.kinkSigns(shapes: network.shapes, rows: inputs.rows)
    }

    /// A forward pass of the current parameters and inputs into `outputs`.
    mutating func forward() throws {
        let rows = inputs.rows
        try parameters.withUnsafeBufferPointer { p in
            try inputs.elements.withUnsafeBufferPointer { x in
                try outputs.withUnsafeMutableBufferPointer { o in
                    try engine.forward(parameters: p.baseAddress!, rows: rows, x: x.baseAddress!, ldx: inputs.columns,
                                       out: o.baseAddress!)
                }
            }
        }
    }

    /// A forward pass, then the loss.
    mutating func evaluate() throws -> Terms {
        try forward()
        switch loss {
        case let .builtIn(targets): return try rowLosses(targets: targets)
        case let .closure(lossOfOutputs, _, _):
            // The closure only ever sees finite outputs: an overflowing
            // forward pass makes the loss NaN, reported as a non-finite
            // numeric gradient.
            var value = Double.nan
            if Kernels.firstNonFinite(outputs) == nil {
                value = try lossOfOutputs(Matrix(uncheckedRows: inputs.rows, columns: network.outputSize,
                                                 elements: outputs)).value
            }
            return Terms(losses: [value], scales: [Double(inputs.rows).squareRoot() * abs(value)])
        }
    }

    /// The loss kernel on every row by itself.
    func rowLosses(targets: ResolvedTargets<Double>) throws -> Terms {
        let rows = inputs.rows, width = network.outputSize
        let logits = try engine.preactivations(layer: network.shapes.count - 1)
        var result = Terms(losses: [Double](repeating: 0, count: rows), scales: [Double](repeating: 1, count: rows))
        try outputs.withUnsafeBufferPointer { o in
            try targets.withPointer { t in
                let predictions = kernel.onLogits ? logits : o.baseAddress!
                for i in 0..<rows {
                    var value = 0.0
                    let row = predictions + i * width
                    if let labels = t.labels {
                        try check(bp_loss_compute_labels(kernel.kind, 1, width, row, labels + i, &value, nil),
                                  "bp_loss_compute_labels")
                    } else {
                        try check(bp_loss_compute(kernel.kind, 1, width, row, t.values! + i * width, &value, nil),
                                  "bp_loss_compute")
                    }
                    var scale = Swift.max(1, abs(value))
                    for j in 0..<width { scale = Swift.max(scale, abs(logits[i * width + j])) }
                    result.losses[i] = value
                    result.scales[i] = scale
                }
            }
        }
        return result
    }

    /// Index of an entry in the parameter vector or the inputs.
    func slot(_ location: ParameterLocation) -> (inParameters: Bool, index: Int) {
        switch location {
        case let .weight(l, r, c):
            let shape = network.shapes[l]
            return (true, shape.weightOffset + r * shape.outputSize + c)
        case let .bias(l, i):
            return (true, network.shapes[l].biasRange.lowerBound + i)
        case let .input(r, c):
            return (false, r * inputs.columns + c)
        }
    }

    mutating func set(_ location: ParameterLocation, to value: Double) {
        let (inParameters, index) = slot(location)
        if inParameters { parameters[index] = value } else { inputs.elements[index] = value }
    }

    func get(_ location: ParameterLocation) -> Double {
        let (inParameters, index) = slot(location)
        return inParameters ? parameters[index] : inputs.elements[index]
    }

    /// The central difference `(L(θ + ε) − L(θ − ε)) / 2ε` at one entry,
    /// whether either evaluation changed a ReLU sign pattern, and the scale
    /// `S` of the rounding of the loss difference (its bound is `4u·S/ε`).
    ///
    /// For the network's loss, `L = Σ_i ℓ_i / n` is differenced row by row,
    /// `Σ_i (ℓ_i(θ+ε) − ℓ_i(θ−ε)) / (2ε·n)`, so that the rounding of the
    /// batch sum never enters, and `S = Σ S_i / n` over the rows the entry
    /// affects (every row for a parameter, its own row for an input, whose
    /// difference alone is nonzero).
    ///
    /// For a closure, only the values `L(θ ± ε)` are known. Their rounding
    /// has two sources: the closure's arithmetic, at most about
    /// `u·√n·|L|` for a sum or mean of n terms of one sign, and the rounding
    /// of the outputs it is given, which moves `L` by about
    /// `Σ_ij |dL/dŷ_ij|·u·max(1, |ŷ_ij|)` (the floor 1 for targets of
    /// order 1 beside small outputs). So
    /// `S = √n·max(|L(θ+ε)|, |L(θ−ε)|) + Σ_{i affected} Σ_j |dL/dŷ_ij|·max(1, |ŷ_ij|)`.
    mutating func centralDifference(at location: ParameterLocation, epsilon: Double)
        throws -> (value: Double, crossedKink: Bool, scale: Double) {
        let original = get(location)
        set(location, to: original + epsilon)
        let plus = try evaluate()
        var crossed = try engine.kinkSigns(shapes: network.shapes, rows: inputs.rows) != baselineSigns
        set(location, to: original - epsilon)
        let minus = try evaluate()
        crossed = try crossed || engine.kinkSigns(shapes: network.shapes, rows: inputs.rows) != baselineSigns
        set(location, to: original)
        // Divide by the step actually taken: θ ± ε is rounded.
        let step = (original + epsilon) - (original - epsilon)
        let rows: Range<Int>
        if case let .input(r, _) = location { rows = r ..< r + 1 } else { rows = 0 ..< inputs.rows }
        switch loss {
        case .builtIn:
            var difference = 0.0, scale = 0.0
            for i in rows {
                difference += plus.losses[i] - minus.losses[i]
                scale += Swift.max(plus.scales[i], minus.scales[i])
            }
            // S̄ is over all n rows: an input's row is the only one whose terms differ.
            let n = Double(inputs.rows)
            return (difference / (step * n), crossed, scale / n)
        case .closure:
            let scale = Swift.max(plus.scales[0], minus.scales[0]) + rows.reduce(0) { $0 + outputScales[$1] }
            return ((plus.losses[0] - minus.losses[0]) / step, crossed, scale)
        }
    }
}

extension Engine {
    /// The sign pattern `z > 0` of the last forward pass (`rows` rows) in
    /// each layer with a kink, `nil` for the others.
    func kinkSigns(shapes: [LayerShape], rows: Int) throws -> [[Bool]?] {
        try shapes.enumerated().map { l, shape in
            guard shape.activation.hasKink else { return nil }
            let z = try preactivations(layer: l)
            return (0..<(rows * shape.outputSize)).map { z[$0] > 0 }
        }
    }
}
