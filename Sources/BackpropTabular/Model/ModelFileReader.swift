import BackpropCore
import Foundation

/// Parses and validates one model file (format described in ``ModelFile``).
///
/// Three stages, each with its own kind of error: the JSON text (syntax and
/// truncation, located by line and column), the format name and version
/// (checked before anything else, so a file of another version is reported
/// as such rather than as a pile of missing fields), then every field's
/// presence, type and value (located by JSON path).
struct ModelFileReader {
    let data: Data
    let source: String

    func model() throws -> TabularModel {
        guard data.contains(where: { !Self.isJSONWhitespace($0) }) else { throw error(.empty) }
        let tree = try parseTree()
        guard let top = tree as? [String: Any] else {
            throw error(.notAModelFile("the top level is not a JSON object"))
        }
        let header = try decode(Header.self)
        guard let format = header.format else { throw error(.notAModelFile("it has no \"format\" field")) }
        guard format == ModelFile.formatName else {
            throw error(field: "format", .notAModelFile("\"format\" is \(quoted(format)), expected \(quoted(ModelFile.formatName))"))
        }
        guard let number = header.version else { throw error(field: "version", .missingField) }
        let version = try integer(number, at: "version")
        guard version == ModelFile.version else { throw error(field: "version", .unsupportedVersion(version)) }

        try checkKeys(top, allowed: Document.CodingKeys.allCases.map(\.rawValue) + ["training"], path: "")
        if let layers = top["layers"] as? [Any] {
            for (l, layer) in layers.enumerated() {
                if let object = layer as? [String: Any] {
                    try checkKeys(object, allowed: LayerDocument.CodingKeys.allCases.map(\.rawValue), path: "layers[\(l)]")
                }
            }
        }
        for key in ["inputStandardization", "targetStandardization"] {
            if let object = top[key] as? [String: Any] {
                try checkKeys(object, allowed: ["mean", "scale"], path: key)
            }
        }
        if let optimizer = top["optimizer"] as? [String: Any] {
            try checkKeys(optimizer, allowed: OptimizerDocument.CodingKeys.allCases.map(\.rawValue), path: "optimizer")
            if let settings = optimizer["settings"] as? [String: Any] {
                try checkKeys(settings, allowed: Self.optimizerFields, path: "optimizer.settings")
                // Checked here: the decoder reports an unknown rule without saying where.
                if let rule = settings["rule"] as? String, Optimizer.Rule(rawValue: rule) == nil {
                    throw error(field: "optimizer.settings.rule", .invalidValue(
                        "unknown optimizer \(quoted(rule)); expected one of "
                        + Optimizer.Rule.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")))
                }
            }
        }
        return try build(decode(Document.self))
    }

    /// The model, and the training checkpoint a run saved with it (the
    /// optional `"training"` field), checked for consistency with the model.
    func modelAndCheckpoint() throws -> (TabularModel, TrainingCheckpoint?) {
        let model = try model()
        let checkpoint: TrainingCheckpoint?
        do {
            checkpoint = try JSONDecoder().decode(CheckpointDocument.self, from: data).training
            try checkpoint?.validate()
        } catch let error as BackpropError {
            guard case let .invalidCheckpoint(reason) = error else { throw error }
            throw self.error(field: "training", .invalidValue(reason))
        } catch {
            throw self.error(field: "training", .invalidValue("not a training checkpoint"))
        }
        if let checkpoint {
            let sizes = [model.network.inputSize] + model.network.layers.map(\.outputSize)
            guard checkpoint.layerSizes == sizes, checkpoint.precision == "Double" else {
                throw error(field: "training", .invalidValue("the checkpoint is for layers \(checkpoint.layerSizes), the model has \(sizes)"))
            }
        }
        return (model, checkpoint)
    }

    // MARK: - Stage 1: JSON text

    private func parseTree() throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let reason = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
            if reason.localizedCaseInsensitiveContains("end of file") || reason.localizedCaseInsensitiveContains("unexpected end") {
                let (line, column) = position(ofOffset: lastNonWhitespaceOffset() + 1)
                throw ModelFileError(file: source, line: line, column: column, .truncated)
            }
            if let token = Self.capture(#"Number (\S+) is not representable"#, in: reason),
               let offset = offset(ofNumber: token) {
                let (line, column) = position(ofOffset: offset)
                throw ModelFileError(file: source, line: line, column: column, .nonFinite)
            }
            if let line = Self.capture(#"line (\d+)"#, in: reason).flatMap({ Int($0) }),
               let column = Self.capture(#"column (\d+)"#, in: reason).flatMap({ Int($0) }) {
                throw ModelFileError(file: source, line: line, column: column, .syntax(Self.clean(reason)))
            }
            if let offset = Self.capture(#"character (\d+)"#, in: reason).flatMap({ Int($0) }) {
                let (line, column) = position(ofOffset: offset)
                throw ModelFileError(file: source, line: line, column: column, .syntax(Self.clean(reason)))
            }
            throw ModelFileError(file: source, .syntax(Self.clean(reason)))
        }
    }

    /// 1-based line and column of a byte offset.
    private func position(ofOffset offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(Swift.max(0, offset)) {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    private func lastNonWhitespaceOffset() -> Int {
        data.lastIndex(where: { !Self.isJSONWhitespace($0) }).map { $0 - data.startIndex } ?? 0
    }

    /// Where a number literal (as the parser quoted it) starts in the text.
    private func offset(ofNumber token: String) -> Int? {
        let bytes = [UInt8](data)
        let needle = [UInt8](token.utf8)
        guard !needle.isEmpty, needle.count <= bytes.count else { return nil }
        let numberByte: (UInt8) -> Bool = { b in
            (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x2D || b == 0x2B || b == 0x65 || b == 0x45
        }
        for start in 0...(bytes.count - needle.count) where bytes[start ..< start + needle.count].elementsEqual(needle) {
            let before = start == 0 ? nil : bytes[start - 1]
            let after = start + needle.count < bytes.count ? bytes[start + needle.count] : nil
            if !(before.map(numberByte) ?? false) && !(after.map(numberByte) ?? false) { return start }
        }
        return nil
    }

    private static func isJSONWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// The parser's message without a trailing period or position (which
    /// the error's location already gives).
    private static func clean(_ reason: String) -> String {
        var text = reason
        if let range = text.range(of: #"\s*around (line \d+, column \d+|character \d+)"#, options: .regularExpression) {
            text.removeSubrange(range)
        }
        while text.hasSuffix(".") { text.removeLast() }
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    // MARK: - Stage 2 and 3: structure and values

    private func checkKeys(_ object: [String: Any], allowed: [String], path: String) throws {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw error(field: path.isEmpty ? key : "\(path).\(key)", .unknownField)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let decoding as DecodingError {
            switch decoding {
            case let .keyNotFound(key, context):
                throw error(field: Self.path(context.codingPath + [key]), .missingField)
            case let .typeMismatch(expected, context):
                throw error(field: Self.path(context.codingPath), .wrongType(expected: Self.typeName(expected)))
            case let .valueNotFound(expected, context):
                throw error(field: Self.path(context.codingPath), .wrongType(expected: Self.typeName(expected) + ", not null"))
            case let .dataCorrupted(context):
                let field = Self.path(context.codingPath)
                if context.debugDescription.contains("not representable") || context.debugDescription.contains("does not fit") {
                    throw error(field: field.isEmpty ? nil : field, .invalidValue("number out of range: \(context.debugDescription)"))
                }
                throw error(field: field.isEmpty ? nil : field, .syntax(context.debugDescription))
            @unknown default:
                throw error(.syntax("\(decoding)"))
            }
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is [Double].Type: return "a list of numbers"
        case is [[Double]].Type: return "a list of lists of numbers"
        case is [String].Type: return "a list of strings"
        case is [String: String].Type: return "an object of strings"
        case is Optimizer.Type: return "an object"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") || name.hasSuffix("Document") { return "an object" }
            return name
        }
    }

    private func error(field: String? = nil, _ kind: ModelFileError.Kind) -> ModelFileError {
        ModelFileError(file: source, field: field, kind)
    }

    /// Every value checked, then the model assembled.
    private func build(_ doc: Document) throws -> TabularModel {
        guard let task = LearningTask(rawValue: doc.task) else {
            throw error(field: "task", .invalidValue("expected \"classification\" or \"regression\", got \(quoted(doc.task))"))
        }
        guard let loss = Loss(rawValue: doc.loss) else {
            throw error(field: "loss", .invalidValue("expected one of \(Loss.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")), got \(quoted(doc.loss))"))
        }
        guard !doc.features.isEmpty else { throw error(field: "features", .invalidValue("no features")) }
        for (j, name) in doc.features.enumerated() {
            guard !name.isEmpty else { throw error(field: "features[\(j)]", .invalidValue("empty feature name")) }
            guard !doc.features[..<j].contains(name) else {
                throw error(field: "features[\(j)]", .invalidValue("feature \(quoted(name)) is listed twice"))
            }
        }
        guard !doc.label.isEmpty else { throw error(field: "label", .invalidValue("empty label name")) }
        guard !doc.features.contains(doc.label) else {
            throw error(field: "label", .invalidValue("the label \(quoted(doc.label)) is also a feature"))
        }

        // Layers: activations, shapes that connect, finite parameters.
        guard !doc.layers.isEmpty else { throw error(field: "layers", .invalidValue("no layers")) }
        var layers: [DenseLayer<Double>] = []
        var expectedInputs = doc.features.count
        for (l, layer) in doc.layers.enumerated() {
            let at = "layers[\(l)]"
            let activation = try activation(of: layer, at: at)
            let inputs = try integer(layer.inputs, at: "\(at).inputs")
            let units = try integer(layer.units, at: "\(at).units")
            guard inputs == expectedInputs else {
                throw error(field: "\(at).inputs", .shapeMismatch(
                    expected: "\(expectedInputs) (\(l == 0 ? "the number of features" : "the units of layers[\(l - 1)]"))",
                    got: "\(inputs)"))
            }
            guard units >= 1 else { throw error(field: "\(at).units", .invalidValue("must be ≥ 1, got \(units)")) }
            guard layer.weights.count == inputs else {
                throw error(field: "\(at).weights", .shapeMismatch(expected: "\(inputs) rows (inputs)", got: "\(layer.weights.count)"))
            }
            for (r, row) in layer.weights.enumerated() {
                guard row.count == units else {
                    throw error(field: "\(at).weights[\(r)]", .shapeMismatch(expected: "\(units) values (units)", got: "\(row.count)"))
                }
                if let c = row.firstIndex(where: { !$0.isFinite }) { throw error(field: "\(at).weights[\(r)][\(c)]", .nonFinite) }
            }
            guard layer.bias.count == units else {
                throw error(field: "\(at).bias", .shapeMismatch(expected: "\(units) values (units)", got: "\(layer.bias.count)"))
            }
            if let j = layer.bias.firstIndex(where: { !$0.isFinite }) { throw error(field: "\(at).bias[\(j)]", .nonFinite) }
            let weights = try Matrix(rows: inputs, columns: units, elements: Array(layer.weights.joined()))
            layers.append(try DenseLayer(weights: weights, bias: layer.bias, activation: activation))
            expectedInputs = units
        }
        var network: Network<Double>
        do {
            network = try Network(layers: layers, loss: loss)
        } catch let problem as BackpropError {
            throw error(field: "loss", .invalidValue(problem.description))
        }
        if let optimizer = doc.optimizer { network = try restoringOptimizer(optimizer, to: network) }

        // Classes.
        var classes: ClassLabels?
        switch task {
        case .classification:
            guard let names = doc.classes else { throw error(field: "classes", .missingField) }
            for (j, name) in names.enumerated() {
                guard !name.isEmpty else { throw error(field: "classes[\(j)]", .invalidValue("empty class name")) }
                guard !names[..<j].contains(name) else {
                    throw error(field: "classes[\(j)]", .invalidValue("class \(quoted(name)) is listed twice"))
                }
            }
            guard names.count >= 2 else {
                throw error(field: "classes", .shapeMismatch(expected: "at least 2 classes", got: "\(names.count)"))
            }
            let outputs = network.outputSize
            guard outputs == names.count || (outputs == 1 && names.count == 2) else {
                throw error(field: "classes", .shapeMismatch(
                    expected: "\(outputs == 1 ? "2" : "\(outputs)") classes (the last layer has \(outputs) units)",
                    got: "\(names.count)"))
            }
            classes = try ClassLabels(names: names)
            if doc.targetStandardization != nil {
                throw error(field: "targetStandardization", .invalidValue("only regression models have one"))
            }
        case .regression:
            if doc.classes != nil { throw error(field: "classes", .invalidValue("a regression model has no classes")) }
            guard network.outputSize == 1 else {
                throw error(field: "layers[\(layers.count - 1)].units",
                            .invalidValue("a regression model has one output, got \(network.outputSize)"))
            }
            guard loss == .meanSquaredError else {
                throw error(field: "loss", .invalidValue("a regression model uses \"meanSquaredError\", got \(quoted(loss.rawValue))"))
            }
        }

        let inputScaling = try doc.inputStandardization.map {
            try standardizer($0, count: doc.features.count, at: "inputStandardization")
        }
        let targetScaling = try doc.targetStandardization.map {
            try standardizer($0, count: 1, at: "targetStandardization")
        }
        do {
            return try TabularModel(network: network, task: task, featureNames: doc.features, labelName: doc.label,
                             classes: classes, inputScaling: inputScaling, targetScaling: targetScaling,
                             metadata: doc.metadata ?? [:])
        } catch let problem as BackpropError {
            throw error(.invalidValue(problem.description))
        }
    }

    /// The fields of an ``Optimizer`` as it encodes them.
    private static let optimizerFields: [String] = {
        guard let data = try? JSONEncoder().encode(Optimizer.gradientDescent),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return Array(object.keys)
    }()

    /// The network with the optimiser and state of `"optimizer"`: its
    /// settings valid, `"step"` and `"state"` both present or both absent,
    /// one list per state slot of one value per parameter, and the values
    /// the state of those settings can hold (``Network/restoreOptimizerState(_:)``).
    private func restoringOptimizer(_ doc: OptimizerDocument, to network: Network<Double>) throws -> Network<Double> {
        var network = network
        let settings = doc.settings
        do {
            try settings.validate(for: Double.self)
        } catch let problem as BackpropError {
            guard case let .invalidHyperparameter(name, _, _) = problem else { throw problem }
            let field = name.replacingOccurrences(of: "optimizer.", with: "optimizer.settings.")
            throw error(field: field, .invalidValue(problem.description))
        }
        switch (doc.step, doc.state) {
        case (nil, nil):
            network.optimizer = settings
        case (nil, _?):
            throw error(field: "optimizer.step", .missingField)
        case (_?, nil):
            throw error(field: "optimizer.state", .missingField)
        case let (step?, state?):
            let step = try integer(step, at: "optimizer.step")
            guard step >= 0 else { throw error(field: "optimizer.step", .invalidValue("must be ≥ 0, got \(step)")) }
            guard state.count == settings.stateSlots else {
                throw error(field: "optimizer.state", .shapeMismatch(
                    expected: "\(settings.stateSlots) lists (the state slots of \(settings))", got: "\(state.count)"))
            }
            let count = network.parameterCount
            for (slot, values) in state.enumerated() where values.count != count {
                throw error(field: "optimizer.state[\(slot)]", .shapeMismatch(
                    expected: "\(count) values (one per parameter)", got: "\(values.count)"))
            }
            do {
                try network.restoreOptimizerState(OptimizerState(optimizer: settings, step: step,
                                                                 values: Array(state.joined())))
            } catch let problem as BackpropError {
                guard case let .invalidCheckpoint(reason) = problem else { throw problem }
                throw error(field: "optimizer.state", .invalidValue(reason))
            }
        }
        return network
    }

    /// Integers are read as doubles (JSONDecoder reports a fraction in an
    /// integer field without saying where) and checked here.
    private func integer(_ value: Double, at path: String) throws -> Int {
        guard value.rounded() == value, abs(value) <= 1e15 else {
            throw error(field: path, .wrongType(expected: "an integer"))
        }
        return Int(value)
    }

    private func activation(of layer: LayerDocument, at path: String) throws -> Activation {
        let names = ["identity", "relu", "leakyReLU", "sigmoid", "tanh", "softmax"]
        if layer.activation != "leakyReLU", layer.slope != nil {
            throw error(field: "\(path).slope", .invalidValue("only a leakyReLU layer has a slope"))
        }
        switch layer.activation {
        case "identity": return .identity
        case "relu": return .relu
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "softmax": return .softmax
        case "leakyReLU":
            guard let slope = layer.slope else { throw error(field: "\(path).slope", .missingField) }
            guard slope.isFinite else { throw error(field: "\(path).slope", .nonFinite) }
            return .leakyReLU(slope: slope)
        default:
            throw error(field: "\(path).activation", .invalidValue(
                "unknown activation \(quoted(layer.activation)); expected one of \(names.map(quoted).joined(separator: ", "))"))
        }
    }

    private func standardizer(_ doc: StatisticsDocument, count: Int, at path: String) throws -> Standardizer {
        guard doc.mean.count == count else {
            throw error(field: "\(path).mean", .shapeMismatch(expected: "\(count) values", got: "\(doc.mean.count)"))
        }
        guard doc.scale.count == count else {
            throw error(field: "\(path).scale", .shapeMismatch(expected: "\(count) values", got: "\(doc.scale.count)"))
        }
        if let j = doc.mean.firstIndex(where: { !$0.isFinite }) { throw error(field: "\(path).mean[\(j)]", .nonFinite) }
        if let j = doc.scale.firstIndex(where: { !$0.isFinite }) { throw error(field: "\(path).scale[\(j)]", .nonFinite) }
        if let j = doc.scale.firstIndex(where: { !($0 > 0) }) {
            throw error(field: "\(path).scale[\(j)]", .invalidValue("must be > 0, got \(doc.scale[j])"))
        }
        return try Standardizer(mean: doc.mean, scale: doc.scale)
    }
}

// MARK: - The JSON shapes

private struct Header: Decodable {
    var format: String?
    var version: Double?
}

private struct CheckpointDocument: Decodable {
    var training: TrainingCheckpoint?
}

private struct Document: Decodable {
    var format: String
    var version: Double
    var task: String
    var loss: String
    var features: [String]
    var label: String
    var classes: [String]?
    var inputStandardization: StatisticsDocument?
    var targetStandardization: StatisticsDocument?
    var layers: [LayerDocument]
    var optimizer: OptimizerDocument?
    var metadata: [String: String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, version, task, loss, features, label, classes, inputStandardization,
             targetStandardization, layers, optimizer, metadata
    }
}

private struct OptimizerDocument: Decodable {
    var settings: Optimizer
    var step: Double?
    var state: [[Double]]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case settings, step, state
    }
}

private struct StatisticsDocument: Decodable {
    var mean: [Double]
    var scale: [Double]
}

private struct LayerDocument: Decodable {
    var activation: String
    var slope: Double?
    var inputs: Double
    var units: Double
    var weights: [[Double]]
    var bias: [Double]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case activation, slope, inputs, units, weights, bias
    }
}
