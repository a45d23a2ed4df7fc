/// Everything that can go wrong at the Swift API boundary.
///
/// Each case says what was expected and what arrived; `description` turns it
/// into one readable sentence. Errors are thrown before any state changes, so
/// a network is never left half-updated by bad input.
public enum BackpropError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Something has the wrong shape, e.g. inputs with 3 columns for a
    /// network whose `inputSize` is 2. `what` names it ("inputs", "weights
    /// of layer 1", ...); `expected` and `got` are shapes like "n × 2".
    case shapeMismatch(what: String, expected: String, got: String)
    /// Rows of a nested array have different lengths.
    case raggedRows(row: Int, expected: Int, got: Int)
    /// A NaN or infinity in data or parameters, at (row, column).
    case nonFinite(what: String, row: Int, column: Int)
    /// A NaN or infinity in a result although the inputs and parameters are
    /// finite: the computation for input row `row` (0-based) overflows.
    /// `what` names where it first appears: "the pre-activations of layer 1"
    /// (0-based layers; the weights are too large for this input), "the
    /// outputs of layer 2", "the loss", or a metric computed from finite
    /// outputs.
    case overflow(what: String, row: Int)
    /// A target value outside what the loss accepts (cross-entropy targets
    /// are probabilities in [0, 1]).
    case invalidTarget(row: Int, column: Int, value: Double, expected: String)
    /// A class label outside `0 ..< classes`, at sample `index`.
    case labelOutOfRange(index: Int, label: Int, classes: Int)
    /// No samples (or a zero-sized matrix) where data is required.
    case emptyData(what: String)
    /// Inputs and targets (or labels) have different numbers of samples.
    case sampleCountMismatch(inputs: Int, targets: Int)
    /// A learning rate that is not finite and > 0.
    case invalidLearningRate(Double)
    /// Any other hyperparameter out of range: `name`, the value given and what is allowed.
    case invalidHyperparameter(name: String, value: String, expected: String)
    /// Layer `index` (0-based) has no units.
    case zeroWidthLayer(index: Int)
    /// A network needs at least one layer.
    case noLayers
    /// A combination that makes no sense, e.g. binary cross-entropy on a
    /// ReLU output (its predictions are not probabilities).
    case invalidConfiguration(String)
    /// ``Network/backward(_:outputGradient:)`` was given a ``ForwardTrace``
    /// computed with other parameters than the network has now (a
    /// `setWeights`, `setBias`, `apply` or `train` since the trace's
    /// `forward(_:)`), or by a network of another shape. Backpropagating it
    /// would mix the recorded activations with the new weights; run
    /// `forward(_:)` again.
    case parametersChangedSinceForward
    /// A training checkpoint that cannot resume this network on this data:
    /// another architecture, precision or data set, or damaged state.
    case invalidCheckpoint(String)
    /// What a computation needs does not fit in the memory allowed
    /// (``MemoryBudget``): `what` needs `required` bytes, `available` are allowed.
    case insufficientMemory(what: String, required: Int, available: Int)
    /// A full-batch minimisation (``Network/minimize(on:method:maximumIterations:gradientTolerance:l2:initialStepSize:lineSearchTolerance:)``)
    /// could not go on: the loss or its gradient became NaN or infinite at
    /// a point the minimiser tried, or GSL's minimiser reported an error.
    /// `reason` says which, and after how many iterations.
    case minimizationFailed(reason: String)
    /// A C kernel reported a failure (out of memory, or an internal bug).
    case kernel(KernelError)

    /// What went wrong, what was expected and what came, in one sentence.
    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, got):
            return "shape mismatch for \(what): expected \(expected), got \(got)"
        case let .raggedRows(row, expected, got):
            return "ragged rows: row \(row) has \(got) values, expected \(expected) like row 0"
        case let .nonFinite(what, row, column):
            return "non-finite value in \(what) at row \(row), column \(column)"
        case let .overflow(what, row):
            return "NaN or infinity in \(what) at row \(row), although the inputs and parameters are finite: the computation overflows"
        case let .invalidTarget(row, column, value, expected):
            return "target \(value) at row \(row), column \(column) is invalid: expected \(expected)"
        case let .labelOutOfRange(index, label, classes):
            return "label \(label) of sample \(index) is out of range: expected 0..<\(classes)"
        case let .emptyData(what):
            return "\(what) is empty: at least one sample is required"
        case let .sampleCountMismatch(inputs, targets):
            return "inputs have \(inputs) samples but targets have \(targets)"
        case let .invalidLearningRate(rate):
            return "learning rate must be finite and > 0, got \(rate)"
        case let .invalidHyperparameter(name, value, expected):
            return "\(name) must be \(expected), got \(value)"
        case let .zeroWidthLayer(index):
            return "layer \(index) has 0 units: every layer needs at least 1"
        case .noLayers:
            return "a network needs at least one layer"
        case let .invalidConfiguration(message):
            return "invalid configuration: \(message)"
        case .parametersChangedSinceForward:
            return "the network's parameters changed since forward(_:) recorded this trace "
                + "(or it comes from another network): run forward(_:) again before backward(_:outputGradient:)"
        case let .invalidCheckpoint(message):
            return "invalid checkpoint: \(message)"
        case let .insufficientMemory(what, required, available):
            return "not enough memory for \(what): it needs \(formatBytes(required)), "
                + "\(formatBytes(available)) available"
        case let .minimizationFailed(reason):
            return "minimisation failed: \(reason); the network keeps its parameters"
        case let .kernel(error):
            return error.description
        }
    }
}

/// A byte count for messages: `512 bytes`, `3.2 MB`, `80.0 GB` (powers of 1000).
func formatBytes(_ bytes: Int) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit + 1 < units.count { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
}

/// `"text"`, with quotes and control characters escaped and long text cut,
/// so that a message naming a cell stays on one line.
package func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars.prefix(60) {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    if text.unicodeScalars.count > 60 { out += "…" }
    return out + "\""
}
