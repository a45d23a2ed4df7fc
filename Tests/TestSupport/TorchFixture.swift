import BackpropCore
import Foundation

/// A file under the repository's `Tests/Fixtures`.
public func fixtureURL(_ relativePath: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
}

/// A small network, its data and initial parameters as the PyTorch
/// generators of `Tests/Fixtures` write them (`optimizers/generate.py`,
/// `schedules/generate.py`, `regularization/generate.py`): layers as
/// `[n_in, n_out, activation]`, row-major inputs, dense targets or labels,
/// parameters in the library's flat layout `[W_0 | b_0 | W_1 | …]`.
public struct TorchNetworkFixture: Decodable {
    /// `[n_in, n_out, activation name]` per layer.
    public let layers: [[LayerField]]
    /// "mse" or "softmax_cce".
    public let loss: String
    /// Rows of the data.
    public let rows: Int
    /// rows × n_in inputs.
    public let inputs: [Double]
    /// rows × n_out targets (regression).
    public let targets: [Double]?
    /// rows class indices (classification).
    public let labels: [Int]?
    /// The initial parameters.
    public let initial: [Double]

    /// A layer entry: a size or an activation name.
    public enum LayerField: Decodable {
        case size(Int)
        case name(String)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .size(n) } else { self = .name(try c.decode(String.self)) }
        }
    }

    /// Decodes `relativePath` under `Tests/Fixtures`.
    public static func load(_ relativePath: String) throws -> TorchNetworkFixture {
        try JSONDecoder().decode(TorchNetworkFixture.self, from: Data(contentsOf: fixtureURL(relativePath)))
    }

    /// The network with the fixture's initial parameters.
    public func network() throws -> Network<Double> {
        var offset = 0
        var built: [DenseLayer<Double>] = []
        for layer in layers {
            guard case let .size(nIn) = layer[0], case let .size(nOut) = layer[1], case let .name(name) = layer[2]
            else { throw BackpropError.invalidHyperparameter(name: "layers", value: "\(layer)", expected: "[n_in, n_out, name]") }
            let activation: Activation = switch name {
            case "tanh": .tanh
            case "relu": .relu
            case "sigmoid": .sigmoid
            case "softmax": .softmax
            default: .identity
            }
            let weights = try Matrix(rows: nIn, columns: nOut, elements: Array(initial[offset..<offset + nIn * nOut]))
            offset += nIn * nOut
            let bias = Array(initial[offset..<offset + nOut])
            offset += nOut
            built.append(try DenseLayer(weights: weights, bias: bias, activation: activation))
        }
        return try Network(layers: built, loss: loss == "mse" ? .meanSquaredError : .categoricalCrossEntropy)
    }

    /// The fixture's data.
    public func dataset() throws -> Dataset<Double> {
        let inputSize = inputs.count / rows
        let x = try Matrix(rows: rows, columns: inputSize, elements: inputs)
        if let labels { return try Dataset(inputs: x, labels: labels) }
        let t = targets ?? []
        return try Dataset(inputs: x, targets: Matrix(rows: rows, columns: t.count / rows, elements: t))
    }
}

/// A network's parameters in the flat layout `[W_0 | b_0 | W_1 | …]`,
/// read through the public API.
public func flatParameters<Scalar: NetworkScalar>(of network: Network<Scalar>) -> [Double] {
    network.layers.flatMap { $0.weights.elements.map { Double($0) } + $0.bias.map { Double($0) } }
}

/// The optimiser described by bp_optimizer's field names (PyTorch's
/// defaults for the fields not given), as the fixtures write it.
public func optimizer(fromFixture fields: [String: Double], rule: String) -> Optimizer {
    var o: Optimizer = switch rule {
    case "adam": .adam()
    case "adamw": .adamW()
    case "rmsprop": .rmsprop()
    case "adagrad": .adagrad()
    case "rprop": .rprop()
    default: .sgd()
    }
    for (key, value) in fields {
        switch key {
        case "momentum": o.momentum = value
        case "dampening": o.dampening = value
        case "nesterov": o.nesterov = value != 0
        case "weight_decay": o.weightDecay = value
        case "beta1": o.beta1 = value
        case "beta2": o.beta2 = value
        case "eps": o.epsilon = value
        case "amsgrad": o.amsgrad = value != 0
        case "alpha": o.alpha = value
        case "centered": o.centered = value != 0
        case "lr_decay": o.learningRateDecay = value
        case "initial_accumulator_value": o.initialAccumulatorValue = value
        case "eta_minus": o.etaMinus = value
        case "eta_plus": o.etaPlus = value
        case "step_min": o.minimumStepSize = value
        case "step_max": o.maximumStepSize = value
        default: break
        }
    }
    return o
}

/// An optimiser entry of a fixture: `{"rule": name, field: value, …}`.
public struct FixtureOptimizer: Decodable {
    /// The optimiser it describes.
    public let optimizer: Optimizer

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        var fields: [String: Double] = [:]
        var rule = "sgd"
        for key in c.allKeys {
            if key.stringValue == "rule" { rule = try c.decode(String.self, forKey: key) }
            else { fields[key.stringValue] = try c.decode(Double.self, forKey: key) }
        }
        optimizer = BackpropTestSupport.optimizer(fromFixture: fields, rule: rule)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
