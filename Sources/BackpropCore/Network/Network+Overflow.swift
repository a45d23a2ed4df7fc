import CKernels

/// Locating an overflow: inputs and parameters are finite (both are checked
/// on the way in), yet a result is NaN or infinite. Only the error path runs
/// this; the checks themselves are one scan of a result.
extension Network {
    /// Where the first overflow occurs, as the error to throw: the earliest
    /// row whose pre-activations or outputs in some layer are not finite
    /// (named by the first such layer), or, when every layer is finite, the
    /// earliest row whose loss (with `targets`) is not finite or makes the
    /// batch's sum overflow.
    func overflow(in inputs: Matrix<Scalar>, targets: ResolvedTargets<Scalar>?) throws -> BackpropError {
        let chunk = Swift.min(inputs.rows, Self.evaluationChunk)
        let last = shapes.count - 1
        var outputs = [Scalar](repeating: 0, count: chunk * outputSize)
        return try engines.withEngine(for: self, capacity: chunk) { engine in
            try parameters.withUnsafeBufferPointer { p in
                try inputs.elements.withUnsafeBufferPointer { x in
                    var start = 0
                    while start < inputs.rows {
                        let rows = Swift.min(chunk, inputs.rows - start)
                        try outputs.withUnsafeMutableBufferPointer { o in
                            try engine.forward(parameters: p.baseAddress!, rows: rows,
                                               x: x.baseAddress! + start * inputSize, ldx: inputSize,
                                               out: o.baseAddress!)
                        }
                        var first: (row: Int, what: String)?
                        func note(_ row: Int?, _ what: String) {
                            if let row, row < first?.row ?? .max { first = (row, what) }
                        }
                        for (l, shape) in shapes.enumerated() {
                            let z = try engine.preactivations(layer: l)
                            note(Self.firstNonFiniteRow(z, rows: rows, width: shape.outputSize),
                                 "the pre-activations of layer \(l)")
                        }
                        outputs.withUnsafeBufferPointer { o in
                            note(Self.firstNonFiniteRow(o.baseAddress!, rows: rows, width: outputSize),
                                 "the outputs of layer \(last)")
                        }
                        if let first { return .overflow(what: first.what, row: start + first.row) }
                        start += rows
                    }
                    // Every layer is finite: the loss overflows, row by row
                    // or in the batch's sum.
                    guard let targets else {
                        return .overflow(what: "the outputs of layer \(last)", row: 0)
                    }
                    return try targets.withPointer { t in
                        var sum = 0.0
                        for i in 0..<inputs.rows {
                            let loss = try engine.gradient(parameters: p.baseAddress!, rows: 1,
                                                           x: x.baseAddress! + i * inputSize, ldx: inputSize,
                                                           targets: t.rows(from: i, width: outputSize),
                                                           grad: nil, dx: nil)
                            sum += loss
                            if !loss.isFinite || !sum.isFinite { return .overflow(what: "the loss", row: i) }
                        }
                        return .overflow(what: "the loss", row: inputs.rows - 1)
                    }
                }
            }
        }
    }

    /// The first of `rows` rows (`width` values each, contiguous) holding a
    /// NaN or infinity.
    static func firstNonFiniteRow(_ values: UnsafePointer<Scalar>, rows: Int, width: Int) -> Int? {
        let all = Array(UnsafeBufferPointer(start: values, count: rows * width))
        return Kernels.firstNonFinite(all).map { $0 / width }
    }
}
