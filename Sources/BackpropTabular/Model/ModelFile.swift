import BackpropCore
import Foundation

/// Reads and writes ``TabularModel``s as versioned JSON files.
///
/// Format version 1 (every field required unless marked optional):
///
/// ```json
/// {
///   "format": "backprop-model",
///   "version": 1,
///   "task": "classification",                 // or "regression"
///   "loss": "categoricalCrossEntropy",        // meanSquaredError | binaryCrossEntropy | categoricalCrossEntropy
///   "features": ["sepal_length", "sepal_width"],   // input columns, in input order
///   "label": "species",                       // the label column's name
///   "classes": ["setosa", "versicolor"],      // classification only: class i's name
///   "inputStandardization": {"mean": [5.8, 3.0], "scale": [0.8, 0.4]},   // optional (or null)
///   "targetStandardization": {"mean": [2.1], "scale": [0.7]},           // optional, regression only
///   "layers": [
///     {"activation": "relu", "inputs": 2, "units": 16,
///      "weights": [[...16 numbers...], [...16 numbers...]],   // inputs rows × units columns
///      "bias": [...16 numbers...]},
///     {"activation": "leakyReLU", "slope": 0.01, ...}        // "slope" only for leakyReLU
///   ],
///   "optimizer": {                            // optional: the network's optimiser and its state
///     "settings": {"rule": "adam", "beta1": 0.9, ...},   // every field of an Optimizer
///     "step": 150,                            // updates applied so far (with "state", or neither)
///     "state": [[...], [...]]                 // stateSlots lists of one value per parameter
///   },
///   "training": {...},                        // optional: a TrainingCheckpoint (encoded())
///   "metadata": {"epochs": "200"}             // optional: string → string notes
/// }
/// ```
///
/// Activations are `identity`, `relu`, `leakyReLU`, `sigmoid`, `tanh`,
/// `softmax`. A layer computes `f(x·W + b)` on standardized inputs
/// `(x − mean)/scale`; a regression model's output is mapped back by
/// `y · scale + mean` of `targetStandardization`.
///
/// `"optimizer"` is written when the network's ``/BackpropCore/Network/optimizer``
/// is not plain gradient descent, or it keeps state: its settings, and
/// once it has taken steps, its ``/BackpropCore/Network/optimizerState``
/// — the parameters' values in the order of the layers, each layer's
/// weights row by row then its bias — so that a loaded model continues
/// training exactly where the saved one stood. A file without it is a
/// network trained by plain gradient descent (every file written before
/// optimisers existed); a reader that predates the field refuses a file
/// with it as having an unknown field, as for any newer file.
///
/// Numbers are written in the shortest form that reads back as the same
/// double, so save → load → predict is bit-identical. Saving is atomic:
/// the bytes go to a temporary file beside the destination, synced, then
/// renamed over it, and only a regular file (or a new name) is replaced.
/// Loading checks the format name and version first,
/// then every field's presence, type and value: shapes that connect, class
/// names that match the outputs, finite numbers, positive scales; any
/// problem is a ``ModelFileError`` naming the field (or, for broken JSON,
/// the line and column).
public enum ModelFile {
    /// The value of the `"format"` field.
    public static let formatName = "backprop-model"
    /// The format version written, and the only one read.
    public static let version = 1

    // MARK: - Writing

    /// The model as JSON text (UTF-8), ending with a newline.
    public static func encode(_ model: TabularModel) -> Data {
        Data(text(of: model).utf8)
    }

    /// The model and a checkpoint of the run training it as JSON: a model
    /// file (any reader of models reads it) whose optional `"training"`
    /// field holds the checkpoint (``/BackpropCore/TrainingCheckpoint/encoded()``), from
    /// which ``loadCheckpoint(from:)`` lets the run continue.
    public static func encode(_ model: TabularModel, checkpoint: TrainingCheckpoint) throws -> Data {
        let training = String(decoding: try checkpoint.encoded(), as: UTF8.self)
        return Data(text(of: model, training: training).utf8)
    }

    /// Saves the model atomically: a crash never leaves a half-written file.
    /// - Throws: ``FileWriteError``.
    public static func save(_ model: TabularModel, to url: URL) throws {
        try AtomicFile.write(encode(model), to: url)
    }

    /// Saves the model with a checkpoint of its training run, atomically
    /// (see ``encode(_:checkpoint:)``).
    /// - Throws: ``FileWriteError``.
    public static func save(_ model: TabularModel, checkpoint: TrainingCheckpoint, to url: URL) throws {
        try AtomicFile.write(encode(model, checkpoint: checkpoint), to: url)
    }

    static func text(of model: TabularModel, training: String? = nil) -> String {
        var out = "{\n"
        func field(_ name: String, _ value: String, last: Bool = false) {
            out += "  \(string(name)): \(value)\(last ? "" : ",")\n"
        }
        field("format", string(formatName))
        field("version", String(version))
        field("task", string(model.task.rawValue))
        field("loss", string(model.network.loss.rawValue))
        field("features", stringArray(model.featureNames))
        field("label", string(model.labelName))
        if let classes = model.classes { field("classes", stringArray(classes.names)) }
        field("inputStandardization", model.inputScaling.map(statistics) ?? "null")
        if let target = model.targetScaling { field("targetStandardization", statistics(target)) }
        out += "  \"layers\": [\n"
        for (l, layer) in model.network.layers.enumerated() {
            out += "    {\n"
            out += "      \"activation\": \(string(activationName(layer.activation))),\n"
            if case let .leakyReLU(slope) = layer.activation { out += "      \"slope\": \(number(slope)),\n" }
            out += "      \"inputs\": \(layer.inputSize),\n"
            out += "      \"units\": \(layer.outputSize),\n"
            out += "      \"weights\": [\n"
            for r in 0..<layer.inputSize {
                out += "        " + numberArray(layer.weights.row(r)) + (r + 1 < layer.inputSize ? ",\n" : "\n")
            }
            out += "      ],\n"
            out += "      \"bias\": \(numberArray(layer.bias))\n"
            out += "    }" + (l + 1 < model.network.layers.count ? ",\n" : "\n")
        }
        out += "  ],\n"
        if let optimizer = optimizerText(of: model.network) { out += "  \"optimizer\": \(optimizer),\n" }
        if let training { out += "  \"training\": \(training),\n" }
        let notes = model.metadata.keys.sorted().map { "\(string($0)): \(string(model.metadata[$0]!))" }
        out += "  \"metadata\": {" + notes.joined(separator: ", ") + "}\n"
        out += "}\n"
        return out
    }

    /// The `"optimizer"` object: `nil` for plain gradient descent without state.
    private static func optimizerText(of network: Network<Double>) -> String? {
        let state = network.optimizerState
        guard network.optimizer != .gradientDescent || state != nil else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of finite numbers, booleans and a string cannot fail.
        let settings = String(decoding: (try? encoder.encode(state?.optimizer ?? network.optimizer)) ?? Data(),
                              as: UTF8.self)
        var out = "{\n    \"settings\": \(settings)"
        if let state {
            let count = network.parameterCount
            let slots = (0..<state.optimizer.stateSlots).map { slot in
                "      " + numberArray(Array(state.values[slot * count ..< (slot + 1) * count]))
            }
            out += ",\n    \"step\": \(state.step),\n    \"state\": ["
            out += slots.isEmpty ? "]" : "\n" + slots.joined(separator: ",\n") + "\n    ]"
        }
        return out + "\n  }"
    }

    private static func statistics(_ s: Standardizer) -> String {
        "{\"mean\": \(numberArray(s.mean)), \"scale\": \(numberArray(s.scale))}"
    }

    /// Swift's `description` of a finite double is the shortest decimal
    /// that reads back as the same double (and is valid JSON: `1e-07`,
    /// `-0.0`, `5e-324`).
    static func number(_ x: Double) -> String {
        precondition(x.isFinite, "model parameters are validated finite")
        return x.description
    }

    private static func numberArray(_ values: [Double]) -> String {
        "[" + values.map(number).joined(separator: ", ") + "]"
    }

    private static func stringArray(_ values: [String]) -> String {
        "[" + values.map(string).joined(separator: ", ") + "]"
    }

    /// A JSON string literal.
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func activationName(_ activation: Activation) -> String {
        switch activation {
        case .identity: return "identity"
        case .relu: return "relu"
        case .leakyReLU: return "leakyReLU"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softmax: return "softmax"
        }
    }

    // MARK: - Reading

    /// Loads and validates a model file. Errors name it as `url.relativePath`.
    /// - Throws: ``ModelFileError``.
    public static func load(from url: URL) throws -> TabularModel {
        try decode(read(url), source: url.relativePath)
    }

    /// The bytes of a model file; errors name it as given.
    private static func read(_ url: URL) throws -> Data {
        let path = url.path, name = url.relativePath   // messages name the file as it was given
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError(file: name, .notFound)
        }
        guard !isDirectory.boolValue else { throw ModelFileError(file: name, .unreadable("it is a directory")) }
        try MemoryBudget.system.requireToParse(fileAt: path, named: name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(file: name, .unreadable("permission denied or I/O error"))
        }
        return data
    }

    /// Loads a model file and the training checkpoint saved in it, if any
    /// (see ``save(_:checkpoint:to:)``). Errors name the file as `url.relativePath`.
    /// - Throws: ``ModelFileError``, for the checkpoint too (field `training`).
    public static func loadCheckpoint(from url: URL) throws -> (model: TabularModel, checkpoint: TrainingCheckpoint?) {
        try ModelFileReader(data: read(url), source: url.relativePath).modelAndCheckpoint()
    }

    /// Parses and validates model JSON.
    /// - Parameters:
    ///   - data: the model file's bytes (UTF-8 JSON).
    ///   - source: the file name used in errors.
    /// - Throws: ``ModelFileError``.
    public static func decode(_ data: Data, source: String) throws -> TabularModel {
        try ModelFileReader(data: data, source: source).model()
    }
}
