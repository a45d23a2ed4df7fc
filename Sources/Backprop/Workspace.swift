/// Scratch memory for passes over batches of one size.
///
/// One contiguous allocation, carved into per-layer buffers: `z` and `a`
/// (forward), `dz` and `da` (backward), `dW` and `db` (gradients), plus a
/// gather buffer for shuffled inputs and targets. Created once per batch
/// shape and reused for every step, so a training step allocates nothing.
/// Never shared between tasks: each `predict` or `train` call makes its own.
final class Workspace<Scalar: NetworkScalar> {
    /// Largest number of rows a pass through this workspace may have.
    let capacity: Int
    let inputSize: Int
    let outputSize: Int
    /// Per layer, `capacity × units`.
    private(set) var z: [UnsafeMutablePointer<Scalar>] = []
    private(set) var a: [UnsafeMutablePointer<Scalar>] = []
    private(set) var dz: [UnsafeMutablePointer<Scalar>] = []
    private(set) var da: [UnsafeMutablePointer<Scalar>] = []
    /// Per layer, `n_in × n_out` and `n_out`.
    private(set) var dW: [UnsafeMutablePointer<Scalar>] = []
    private(set) var db: [UnsafeMutablePointer<Scalar>] = []
    /// `capacity × inputSize`: gathered inputs, and dL/dX.
    private(set) var x: UnsafeMutablePointer<Scalar>
    private(set) var dx: UnsafeMutablePointer<Scalar>
    /// `capacity × outputSize` dense targets, or `capacity` labels.
    private(set) var y: UnsafeMutablePointer<Scalar>
    let labels: UnsafeMutablePointer<Int>

    private let storage: UnsafeMutablePointer<Scalar>

    /// - Parameters:
    ///   - widths: `[inputSize, units of layer 0, units of layer 1, ...]`.
    ///   - capacity: the batch size.
    ///   - training: whether to allocate the backward-pass buffers.
    init(widths: [Int], capacity: Int, training: Bool) {
        self.capacity = capacity
        self.inputSize = widths[0]
        self.outputSize = widths[widths.count - 1]
        let layerCount = widths.count - 1
        var total = 2 * capacity * inputSize + capacity * outputSize
        for l in 0..<layerCount {
            let units = widths[l + 1]
            total += (training ? 4 : 2) * capacity * units
            if training { total += widths[l] * units + units }
        }
        storage = .allocate(capacity: max(total, 1))
        storage.initialize(repeating: 0, count: max(total, 1))
        labels = .allocate(capacity: max(capacity, 1))
        labels.initialize(repeating: 0, count: max(capacity, 1))

        var cursor = storage
        func take(_ count: Int) -> UnsafeMutablePointer<Scalar> {
            defer { cursor += count }
            return cursor
        }
        x = take(capacity * inputSize)
        dx = take(capacity * inputSize)
        y = take(capacity * outputSize)
        for l in 0..<layerCount {
            let units = widths[l + 1]
            z.append(take(capacity * units))
            a.append(take(capacity * units))
            if training {
                dz.append(take(capacity * units))
                da.append(take(capacity * units))
                dW.append(take(widths[l] * units))
                db.append(take(units))
            }
        }
    }

    deinit {
        storage.deallocate()
        labels.deallocate()
    }
}
