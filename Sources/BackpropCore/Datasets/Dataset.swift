/// Inputs with their targets: a training, validation or test set.
public struct Dataset<Scalar: NetworkScalar>: Sendable, Equatable {
    /// `n × features`.
    public var inputs: Matrix<Scalar> {
        didSet { inputsNonFinite = MatrixPosition(firstNonFiniteOf: inputs) }
    }
    /// `n` targets.
    public var targets: Targets<Scalar>

    /// Where `inputs` holds its first NaN or infinity, if anywhere: found
    /// once, whenever the inputs are set, because training checks its data
    /// on every call and a large set (60 000 × 784 values) took longer to
    /// scan than an epoch's steps take to read.
    private(set) var inputsNonFinite: MatrixPosition?

    /// Inputs (`n × features`) with dense targets (`n × outputs`).
    public init(inputs: Matrix<Scalar>, targets: Matrix<Scalar>) {
        self.init(inputs: inputs, targets: .values(targets))
    }

    /// Inputs (`n × features`) with `n` integer class labels.
    public init(inputs: Matrix<Scalar>, labels: [Int]) {
        self.init(inputs: inputs, targets: .labels(labels))
    }

    /// Inputs (`n × features`) with either kind of targets.
    public init(inputs: Matrix<Scalar>, targets: Targets<Scalar>) {
        self.inputs = inputs
        self.targets = targets
        self.inputsNonFinite = MatrixPosition(firstNonFiniteOf: inputs)
    }

    /// Number of samples.
    public var count: Int { inputs.rows }

    /// The integer labels, when the targets are labels.
    public var labels: [Int]? {
        if case let .labels(labels) = targets { return labels }
        return nil
    }

    /// The same data in another precision.
    public func converted<Other: NetworkScalar>(to _: Other.Type = Other.self) -> Dataset<Other> {
        switch targets {
        case let .values(m): return Dataset<Other>(inputs: inputs.converted(), targets: m.converted(to: Other.self))
        case let .labels(l): return Dataset<Other>(inputs: inputs.converted(), labels: l)
        }
    }

    /// The samples at `indices`, in that order (for splits and subsets).
    public func rows(at indices: [Int]) -> Dataset {
        let targets: Targets<Scalar>
        switch self.targets {
        case let .values(m): targets = .values(m.rows(at: indices))
        case let .labels(l): targets = .labels(indices.map { l[$0] })
        }
        return Dataset(inputs: inputs.rows(at: indices), targets: targets)
    }
}
