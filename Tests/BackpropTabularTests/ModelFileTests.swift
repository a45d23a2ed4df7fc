import Foundation
import BackpropTestSupport
import Testing
import BackpropCore
@testable import BackpropTabular

/// Model files: bit-exact round trips, atomic writes, and a corrupted copy
/// of every field caught with a message naming it.
@Suite("TabularModel files")
struct ModelFileTests {
    /// The smallest subnormal, 4.9e-324.
    static let tiny = Double(bitPattern: 1)
    /// The largest subnormal, 2.225073858507201e-308.
    static let largestSubnormal = Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)

    /// Doubles that stress shortest round-trip printing.
    static let awkward: [Double] = [
        0.1, 1.0 / 3, -2.0 / 3, tiny, -tiny, 2.2250738585072014e-308, largestSubnormal,
        1.7976931348623157e308, -1.7976931348623157e308, 1e23, 9007199254740994, 123456789.125, -0.0, 0,
        1e-7, Double(bitPattern: 8805), 0x1.fffffffffffffp-1, tiny * 3, 6.02214076e23, -1.602176634e-19,
    ]

    /// A classifier whose parameters are random doubles of every magnitude
    /// (subnormal to near-overflow), so that printing and parsing are tested
    /// on all exponents. Inputs stay small so predictions are finite.
    static func classifier(seed: UInt64 = 1) throws -> TabularModel {
        var random = TestRandom(seed: seed)
        let moderate = awkward.filter { abs($0) < 1e6 }
        var w0 = [Double](), b0 = [Double]()
        for i in 0..<(3 * 5) { w0.append(i < moderate.count ? moderate[i] : random.normal()) }
        for _ in 0..<5 { b0.append(random.normal() * 1e-3) }
        var w1 = [Double](), b1 = [Double]()
        for _ in 0..<(5 * 4) { w1.append(random.normal()) }
        for i in 0..<4 { b1.append(i == 0 ? tiny : random.normal()) }
        var w2 = [Double]()
        for i in 0..<(4 * 3) { w2.append(i == 5 ? 1e-300 : random.normal()) }
        let layers = [
            try DenseLayer(weights: Matrix(rows: 3, columns: 5, elements: w0), bias: b0, activation: .tanh),
            try DenseLayer(weights: Matrix(rows: 5, columns: 4, elements: w1), bias: b1, activation: .leakyReLU(slope: 0.01)),
            try DenseLayer(weights: Matrix(rows: 4, columns: 3, elements: w2), bias: [0.1, -0.0, 1.0 / 7], activation: .softmax),
        ]
        let network = try Network(layers: layers, loss: .categoricalCrossEntropy)
        return try TabularModel(network: network, task: .classification, featureNames: ["a \"quoted\" name", "b,comma", "ç\nnewline"],
                         labelName: "class", classes: try ClassLabels(names: ["x", "y\\slash", "zé"]),
                         inputScaling: try Standardizer(mean: [0.1, -1.0 / 3, largestSubnormal / 3], scale: [1.0 / 3, 7, 2.5e-8]),
                         metadata: ["note": "tab\there", "epochs": "3"])
    }

    static func regression() throws -> TabularModel {
        var network = try Network(inputSize: 2, layers: [.dense(3, .relu), .dense(1, .identity)],
                                  loss: .meanSquaredError, seed: 9)
        try network.setBias([0.25, 1.0 / 3, Self.tiny], layer: 0)
        return try TabularModel(network: network, task: .regression, featureNames: ["u", "v"], labelName: "price",
                         classes: nil, inputScaling: try Standardizer(mean: [1, 2], scale: [3, 4]),
                         targetScaling: try Standardizer(mean: [1234.5678], scale: [98.7654321]))
    }

    func bits(_ m: Matrix<Double>) -> [UInt64] { m.elements.map(\.bitPattern) }

    @Test func shortestNumbersReadBackExactly() throws {
        var random = TestRandom(seed: 77)
        var values = Self.awkward
        while values.count < 100_000 {
            let d = Double(bitPattern: random.next())
            if d.isFinite { values.append(d) }
        }
        // Also many subnormals and values near the normal/subnormal boundary.
        for _ in 0..<5000 { values.append(Double(bitPattern: random.next() & 0x000F_FFFF_FFFF_FFFF)) }
        let text = "[" + values.map(ModelFile.number).joined(separator: ",") + "]"
        let parsed = try JSONDecoder().decode([Double].self, from: Data(text.utf8))
        #expect(parsed.count == values.count)
        let mismatches = zip(values, parsed).filter { $0.bitPattern != $1.bitPattern }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    @Test func roundTripIsBitExact() throws {
        for model in [try Self.classifier(), try Self.regression()] {
            let data = ModelFile.encode(model)
            let loaded = try ModelFile.decode(data, source: "m.json")
            #expect(loaded.task == model.task)
            #expect(loaded.featureNames == model.featureNames)
            #expect(loaded.labelName == model.labelName)
            #expect(loaded.classes == model.classes)
            #expect(loaded.network.loss == model.network.loss)
            #expect(loaded.metadata == model.metadata)
            #expect(loaded.inputScaling?.mean.map(\.bitPattern) == model.inputScaling?.mean.map(\.bitPattern))
            #expect(loaded.inputScaling?.scale.map(\.bitPattern) == model.inputScaling?.scale.map(\.bitPattern))
            #expect(loaded.targetScaling?.mean.map(\.bitPattern) == model.targetScaling?.mean.map(\.bitPattern))
            #expect(loaded.targetScaling?.scale.map(\.bitPattern) == model.targetScaling?.scale.map(\.bitPattern))
            #expect(loaded.network.layers.count == model.network.layers.count)
            for (a, b) in zip(loaded.network.layers, model.network.layers) {
                #expect(a.activation == b.activation)
                #expect(bits(a.weights) == bits(b.weights))
                #expect(a.bias.map(\.bitPattern) == b.bias.map(\.bitPattern))
            }
            // Saving the loaded model gives the same bytes.
            #expect(ModelFile.encode(loaded) == data)

            // Predictions on fresh inputs are bit-identical.
            var random = TestRandom(seed: 3)
            let x = random.matrix(50, model.featureNames.count) { $0.normal() }
            #expect(bits(try loaded.outputs(x)) == bits(try model.outputs(x)))
            if model.task == .regression {
                #expect(try loaded.predictValues(x).map(\.bitPattern) == (try model.predictValues(x)).map(\.bitPattern))
            } else {
                #expect(try loaded.predictClasses(x) == (try model.predictClasses(x)))
            }
        }
    }

    /// Parameters drawn from every finite bit pattern (predictions would
    /// overflow, so only the parameters are compared).
    @Test func arbitraryParametersRoundTrip() throws {
        var random = TestRandom(seed: 11)
        func anyDouble() -> Double {
            while true {
                let d = Double(bitPattern: random.next())
                if d.isFinite { return d }
            }
        }
        let weights = try Matrix(rows: 40, columns: 30, elements: (0..<1200).map { _ in anyDouble() })
        let layer = try DenseLayer(weights: weights, bias: (0..<30).map { _ in anyDouble() }, activation: .identity)
        let model = try TabularModel(network: try Network(layers: [layer], loss: .meanSquaredError), task: .classification,
                              featureNames: (0..<40).map { "f\($0)" }, labelName: "y",
                              classes: try ClassLabels(names: (0..<30).map { "c\($0)" }),
                              inputScaling: try Standardizer(mean: (0..<40).map { _ in anyDouble() },
                                                             scale: (0..<40).map { _ in abs(anyDouble()) + Self.tiny }))
        let loaded = try ModelFile.decode(ModelFile.encode(model), source: "m.json")
        #expect(bits(loaded.network.layers[0].weights) == bits(weights))
        #expect(loaded.network.layers[0].bias.map(\.bitPattern) == layer.bias.map(\.bitPattern))
        #expect(loaded.inputScaling!.mean.map(\.bitPattern) == model.inputScaling!.mean.map(\.bitPattern))
        #expect(loaded.inputScaling!.scale.map(\.bitPattern) == model.inputScaling!.scale.map(\.bitPattern))
    }

    @Test func saveIsAtomicAndLoadReadsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.json")
        try Data("old contents".utf8).write(to: url)
        let model = try Self.classifier()
        try ModelFile.save(model, to: url)
        #expect(try Data(contentsOf: url) == ModelFile.encode(model))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.json"])   // no temporary left
        let loaded = try ModelFile.load(from: url)
        #expect(bits(loaded.network.layers[0].weights) == bits(model.network.layers[0].weights))

        // A write into a missing directory fails and creates nothing.
        let nowhere = dir.appendingPathComponent("missing/model.json")
        #expect(throws: FileWriteError.self) { try ModelFile.save(model, to: nowhere) }
        #expect(!FileManager.default.fileExists(atPath: nowhere.path))
        // Writing over a directory fails and leaves it (and no temporary) there.
        let sub = dir.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        try Data().write(to: sub.appendingPathComponent("keep"))
        #expect(throws: FileWriteError.self) { try ModelFile.save(model, to: sub) }
        #expect(FileManager.default.fileExists(atPath: sub.appendingPathComponent("keep").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["model.json", "sub"])
    }

    @Test func fileLevelErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none.json")
        #expect(throws: ModelFileError(file: missing.path, .notFound)) { try ModelFile.load(from: missing) }
        #expect(throws: ModelFileError(file: dir.path, .unreadable("it is a directory"))) { try ModelFile.load(from: dir) }
        #expect(throws: ModelFileError(file: "m.json", .empty)) { try ModelFile.decode(Data(), source: "m.json") }
        #expect(throws: ModelFileError(file: "m.json", .empty)) { try ModelFile.decode(Data(" \n".utf8), source: "m.json") }
        #expect(throws: ModelFileError(file: "m.json", .notAModelFile("the top level is not a JSON object"))) {
            try ModelFile.decode(Data("[1, 2]".utf8), source: "m.json")
        }
        #expect(throws: ModelFileError(file: "m.json", .notAModelFile("it has no \"format\" field"))) {
            try ModelFile.decode(Data("{\"weights\": [1]}".utf8), source: "m.json")
        }
    }

    /// Every prefix of a model file is rejected (never accepted, never a
    /// crash); a cut inside the JSON is reported as truncation at the end.
    @Test func truncatedFilesAreRejected() throws {
        let text = ModelFile.text(of: try Self.regression())
        let data = Data(text.utf8)
        var truncations = 0
        for length in 1..<(data.count - 2) {
            do {
                _ = try ModelFile.decode(data.prefix(length), source: "m.json")
                Issue.record("a \(length)-byte prefix was accepted")
            } catch let error as ModelFileError {
                if error.kind == .truncated {
                    truncations += 1
                    #expect(error.line != nil && error.column != nil)
                }
            }
        }
        #expect(truncations > data.count * 9 / 10)
        do {
            _ = try ModelFile.decode(data.prefix(data.count / 2), source: "m.json")
        } catch let error as ModelFileError {
            let lines = text.prefix(data.count / 2).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(error.kind == .truncated)
            #expect(error.line == lines.count)
            #expect(error.description.hasPrefix("m.json:\(lines.count):"))
        }
    }

    @Test func syntaxErrorsHaveLineAndColumn() throws {
        let text = ModelFile.text(of: try Self.regression())
        // Replace a character on line 5 with garbage.
        var lines = text.components(separatedBy: "\n")
        lines[4] = "  \"label\": ?\"price\","
        do {
            _ = try ModelFile.decode(Data(lines.joined(separator: "\n").utf8), source: "m.json")
            Issue.record("accepted")
        } catch let error as ModelFileError {
            guard case .syntax = error.kind else { Issue.record("\(error)"); return }
            #expect(error.line == 5)
            #expect(error.column == 12)
        }
        // A number too large for a double.
        lines = text.components(separatedBy: "\n")
        let row = lines.firstIndex { $0.contains("\"bias\"") }!
        lines[row] = "      \"bias\": [1, 2e999, 3]"
        do {
            _ = try ModelFile.decode(Data(lines.joined(separator: "\n").utf8), source: "m.json")
            Issue.record("accepted")
        } catch let error as ModelFileError {
            #expect(error.kind == .nonFinite)
            #expect(error.line == row + 1)
            #expect(error.column == 19)
        }
    }

    // MARK: - Every field

    typealias Object = [String: Any]

    func corrupt(_ model: TabularModel, _ change: (inout Object) -> Void) throws -> Data {
        var object = try JSONSerialization.jsonObject(with: ModelFile.encode(model)) as! Object
        change(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    func layer(_ index: Int, _ change: @escaping (inout Object) -> Void) -> (inout Object) -> Void {
        { object in
            var layers = object["layers"] as! [Object]
            change(&layers[index])
            object["layers"] = layers
        }
    }

    func expect(_ model: TabularModel, field: String?, _ kind: ModelFileError.Kind,
                sourceLocation: SourceLocation = #_sourceLocation, _ change: (inout Object) -> Void) throws {
        let data = try corrupt(model, change)
        do {
            _ = try ModelFile.decode(data, source: "m.json")
            Issue.record("corruption of \(field ?? "?") was accepted", sourceLocation: sourceLocation)
        } catch let error as ModelFileError {
            #expect(error.field == field, sourceLocation: sourceLocation)
            #expect(error.kind == kind, sourceLocation: sourceLocation)
            #expect(error.file == "m.json", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            if let field { #expect(error.description.contains("field \(field)"), sourceLocation: sourceLocation) }
        }
    }

    @Test func everyTopLevelFieldIsChecked() throws {
        let c = try Self.classifier()
        // Sanity: the unmodified object loads.
        _ = try ModelFile.decode(try corrupt(c) { _ in }, source: "m.json")

        try expect(c, field: "format", .notAModelFile("\"format\" is \"keras\", expected \"backprop-model\"")) { $0["format"] = "keras" }
        try expect(c, field: nil, .notAModelFile("it has no \"format\" field")) { $0["format"] = nil }
        try expect(c, field: "format", .wrongType(expected: "a string")) { $0["format"] = 1 }
        try expect(c, field: "version", .unsupportedVersion(2)) { $0["version"] = 2 }
        try expect(c, field: "version", .unsupportedVersion(0)) { $0["version"] = 0 }
        try expect(c, field: "version", .missingField) { $0["version"] = nil }
        try expect(c, field: "version", .wrongType(expected: "a number")) { $0["version"] = "1" }
        try expect(c, field: "version", .wrongType(expected: "an integer")) { $0["version"] = 1.5 }
        try expect(c, field: "task", .missingField) { $0["task"] = nil }
        try expect(c, field: "task", .invalidValue("expected \"classification\" or \"regression\", got \"clustering\"")) { $0["task"] = "clustering" }
        try expect(c, field: "task", .wrongType(expected: "a string")) { $0["task"] = 3 }
        try expect(c, field: "loss", .missingField) { $0["loss"] = nil }
        try expect(c, field: "loss", .invalidValue("expected one of \"meanSquaredError\", \"binaryCrossEntropy\", \"categoricalCrossEntropy\", got \"hinge\"")) { $0["loss"] = "hinge" }
        try expect(c, field: "features", .missingField) { $0["features"] = nil }
        try expect(c, field: "features", .wrongType(expected: "a list")) { $0["features"] = "a" }
        try expect(c, field: "features", .invalidValue("no features")) { $0["features"] = [String]() }
        try expect(c, field: "features[1]", .invalidValue("empty feature name")) { $0["features"] = ["a", "", "c"] }
        try expect(c, field: "features[2]", .invalidValue("feature \"a\" is listed twice")) { $0["features"] = ["a", "b", "a"] }
        try expect(c, field: "features[1]", .wrongType(expected: "a string")) { $0["features"] = ["a", 2, "c"] }
        try expect(c, field: "layers[0].inputs", .shapeMismatch(expected: "2 (the number of features)", got: "3")) { $0["features"] = ["a", "b"] }
        try expect(c, field: "label", .missingField) { $0["label"] = nil }
        try expect(c, field: "label", .invalidValue("empty label name")) { $0["label"] = "" }
        try expect(c, field: "label", .invalidValue("the label \"b,comma\" is also a feature")) { $0["label"] = "b,comma" }
        try expect(c, field: "classes", .missingField) { $0["classes"] = nil }
        try expect(c, field: "classes", .shapeMismatch(expected: "3 classes (the last layer has 3 units)", got: "2")) { $0["classes"] = ["x", "y"] }
        try expect(c, field: "classes[2]", .invalidValue("class \"x\" is listed twice")) { $0["classes"] = ["x", "y", "x"] }
        try expect(c, field: "classes[0]", .invalidValue("empty class name")) { $0["classes"] = ["", "y", "z"] }
        try expect(c, field: "inputStandardization.mean", .shapeMismatch(expected: "3 values", got: "2")) {
            $0["inputStandardization"] = ["mean": [0, 0], "scale": [1, 1, 1]]
        }
        try expect(c, field: "inputStandardization.scale", .shapeMismatch(expected: "3 values", got: "4")) {
            $0["inputStandardization"] = ["mean": [0, 0, 0], "scale": [1, 1, 1, 1]]
        }
        try expect(c, field: "inputStandardization.scale[1]", .invalidValue("must be > 0, got 0.0")) {
            $0["inputStandardization"] = ["mean": [0, 0, 0], "scale": [1, 0, 1]]
        }
        try expect(c, field: "inputStandardization.scale[2]", .invalidValue("must be > 0, got -2.0")) {
            $0["inputStandardization"] = ["mean": [0, 0, 0], "scale": [1, 1, -2]]
        }
        try expect(c, field: "inputStandardization.scale", .missingField) { $0["inputStandardization"] = ["mean": [0, 0, 0]] }
        try expect(c, field: "inputStandardization.median", .unknownField) {
            $0["inputStandardization"] = ["mean": [0, 0, 0], "scale": [1, 1, 1], "median": [0, 0, 0]]
        }
        try expect(c, field: "targetStandardization", .invalidValue("only regression models have one")) {
            $0["targetStandardization"] = ["mean": [0], "scale": [1]]
        }
        try expect(c, field: "layers", .missingField) { $0["layers"] = nil }
        try expect(c, field: "layers", .invalidValue("no layers")) { $0["layers"] = [Any]() }
        try expect(c, field: "layers", .wrongType(expected: "a list")) { $0["layers"] = ["activation": "relu"] }
        try expect(c, field: "metadata", .wrongType(expected: "an object")) { $0["metadata"] = "none" }
        try expect(c, field: "metadata.epochs", .wrongType(expected: "a string")) { $0["metadata"] = ["epochs": 3] }
        try expect(c, field: "weights", .unknownField) { $0["weights"] = [1] }
    }

    @Test func everyLayerFieldIsChecked() throws {
        let c = try Self.classifier()
        try expect(c, field: "layers[0].activation", .missingField, layer(0) { $0["activation"] = nil })
        try expect(c, field: "layers[0].activation", .invalidValue("unknown activation \"swish\"; expected one of \"identity\", \"relu\", \"leakyReLU\", \"sigmoid\", \"tanh\", \"softmax\""),
                   layer(0) { $0["activation"] = "swish" })
        try expect(c, field: "layers[0].slope", .invalidValue("only a leakyReLU layer has a slope"), layer(0) { $0["slope"] = 0.1 })
        try expect(c, field: "layers[1].slope", .missingField, layer(1) { $0["slope"] = nil })
        try expect(c, field: "layers[1].slope", .wrongType(expected: "a number"), layer(1) { $0["slope"] = "0.01" })
        try expect(c, field: "layers[1].inputs", .missingField, layer(1) { $0["inputs"] = nil })
        try expect(c, field: "layers[1].inputs", .shapeMismatch(expected: "5 (the units of layers[0])", got: "4"), layer(1) { $0["inputs"] = 4 })
        try expect(c, field: "layers[1].inputs", .wrongType(expected: "an integer"), layer(1) { $0["inputs"] = 4.5 })
        try expect(c, field: "layers[1].inputs", .wrongType(expected: "a number"), layer(1) { $0["inputs"] = "5" })
        try expect(c, field: "layers[2].units", .wrongType(expected: "an integer"), layer(2) { $0["units"] = 1e300 })
        try expect(c, field: "layers[2].units", .missingField, layer(2) { $0["units"] = nil })
        try expect(c, field: "layers[2].units", .invalidValue("must be ≥ 1, got 0"), layer(2) { $0["units"] = 0 })
        try expect(c, field: "layers[2].weights[0]", .shapeMismatch(expected: "2 values (units)", got: "3"), layer(2) { $0["units"] = 2 })
        try expect(c, field: "layers[0].weights", .missingField, layer(0) { $0["weights"] = nil })
        try expect(c, field: "layers[0].weights", .shapeMismatch(expected: "3 rows (inputs)", got: "2"), layer(0) { o in
            o["weights"] = Array((o["weights"] as! [Any]).prefix(2))
        })
        try expect(c, field: "layers[0].weights[2]", .shapeMismatch(expected: "5 values (units)", got: "4"), layer(0) { o in
            var rows = o["weights"] as! [[Any]]
            rows[2].removeLast()
            o["weights"] = rows
        })
        try expect(c, field: "layers[0].weights[1][3]", .wrongType(expected: "a number"), layer(0) { o in
            var rows = o["weights"] as! [[Any]]
            rows[1][3] = "0.5"
            o["weights"] = rows
        })
        try expect(c, field: "layers[0].weights[1][3]", .wrongType(expected: "a number, not null"), layer(0) { o in
            var rows = o["weights"] as! [[Any]]
            rows[1][3] = NSNull()
            o["weights"] = rows
        })
        try expect(c, field: "layers[1].bias", .missingField, layer(1) { $0["bias"] = nil })
        try expect(c, field: "layers[1].bias", .shapeMismatch(expected: "4 values (units)", got: "5"), layer(1) { o in
            o["bias"] = (o["bias"] as! [Any]) + [1.0]
        })
        try expect(c, field: "layers[1].bias[0]", .wrongType(expected: "a number"), layer(1) { o in
            var bias = o["bias"] as! [Any]
            bias[0] = true
            o["bias"] = bias
        })
        try expect(c, field: "layers[1].dropout", .unknownField, layer(1) { $0["dropout"] = 0.5 })
        // An output layer that does not suit the loss.
        try expect(c, field: "loss", .invalidValue("invalid configuration: categoricalCrossEntropy needs a softmax output layer (one distribution per sample), not sigmoid"),
                   layer(2) { $0["activation"] = "sigmoid" })
    }

    @Test func regressionFieldsAreChecked() throws {
        let r = try Self.regression()
        _ = try ModelFile.decode(try corrupt(r) { _ in }, source: "m.json")
        try expect(r, field: "classes", .invalidValue("a regression model has no classes")) { $0["classes"] = ["a", "b"] }
        try expect(r, field: "loss", .invalidValue("a regression model uses \"meanSquaredError\", got \"binaryCrossEntropy\"")) { o in
            o["loss"] = "binaryCrossEntropy"
            var layers = o["layers"] as! [Object]
            layers[1]["activation"] = "sigmoid"
            o["layers"] = layers
        }
        try expect(r, field: "targetStandardization.mean", .shapeMismatch(expected: "1 values", got: "2")) {
            $0["targetStandardization"] = ["mean": [0, 1], "scale": [1]]
        }
        try expect(r, field: "targetStandardization.scale[0]", .invalidValue("must be > 0, got 0.0")) {
            $0["targetStandardization"] = ["mean": [0], "scale": [0]]
        }
        try expect(r, field: "layers[1].units", .invalidValue("a regression model has one output, got 2")) { o in
            var layers = o["layers"] as! [Object]
            layers[1]["units"] = 2
            layers[1]["weights"] = [[1, 2], [3, 4], [5, 6]]
            layers[1]["bias"] = [0, 0]
            o["layers"] = layers
        }
    }

    @Test func modelConsistencyIsChecked() throws {
        let net = try Network(inputSize: 2, layers: [.dense(3, .softmax)], loss: .categoricalCrossEntropy)
        #expect(throws: BackpropError.self) {
            try TabularModel(network: net, task: .classification, featureNames: ["a"], labelName: "y",
                      classes: try ClassLabels(names: ["p", "q", "r"]), inputScaling: nil)
        }
        #expect(throws: BackpropError.self) {
            try TabularModel(network: net, task: .classification, featureNames: ["a", "b"], labelName: "y",
                      classes: try ClassLabels(names: ["p", "q"]), inputScaling: nil)
        }
        #expect(throws: BackpropError.self) {
            try TabularModel(network: net, task: .regression, featureNames: ["a", "b"], labelName: "y", classes: nil, inputScaling: nil)
        }
        #expect(throws: BackpropError.self) {
            try TabularModel(network: net, task: .classification, featureNames: ["a", "a"], labelName: "y",
                      classes: try ClassLabels(names: ["p", "q", "r"]), inputScaling: nil)
        }
        #expect(throws: BackpropError.self) {
            try TabularModel(network: net, task: .classification, featureNames: ["a", "b"], labelName: "y",
                      classes: try ClassLabels(names: ["p", "q", "r"]), inputScaling: try Standardizer(mean: [0], scale: [1]))
        }
        let m = try TabularModel(network: net, task: .classification, featureNames: ["a", "b"], labelName: "y",
                          classes: try ClassLabels(names: ["p", "q", "r"]), inputScaling: nil)
        #expect(throws: BackpropError.self) { try m.predictValues(Matrix([[1.0, 2]])) }
        #expect(throws: BackpropError.self) { try m.outputs(Matrix([[1.0, 2, 3]])) }
    }
}

// MARK: - The optimiser and its state

extension ModelFileTests {
    /// A classifier of 2 features and 3 classes trained for 3 epochs by
    /// `optimizer` (unshuffled), and its data.
    static func trained(with optimizer: Optimizer) throws -> (TabularModel, Dataset<Double>) {
        var random = TestRandom(seed: 12)
        let inputs = random.matrix(40, 2) { $0.normal() }
        let data = try Dataset(inputs: inputs, labels: (0..<40).map { $0 % 3 })
        var network = try Network(inputSize: 2, layers: [.dense(5, .tanh), .dense(3, .softmax)],
                                  loss: .categoricalCrossEntropy, seed: 4)
        network.optimizer = optimizer
        try network.train(on: data, epochs: 3, learningRate: 0.01, batchSize: 8, shuffle: false)
        let model = try TabularModel(network: network, task: .classification, featureNames: ["a", "b"], labelName: "y",
                                     classes: try ClassLabels(names: ["p", "q", "r"]), inputScaling: nil)
        return (model, data)
    }

    func parameterBits(_ network: Network<Double>) -> [UInt64] {
        network.layers.flatMap { bits($0.weights) + $0.bias.map(\.bitPattern) }
    }

    @Test func optimizerStateRoundTripsAndTrainingContinuesExactly() throws {
        let (model, data) = try Self.trained(with: .adam(beta1: 0.8, amsgrad: true))
        let state = try #require(model.network.optimizerState)
        #expect(state.step == 15 && state.values.count == 3 * model.network.parameterCount)
        let encoded = ModelFile.encode(model)
        let loaded = try ModelFile.decode(encoded, source: "m.json")
        #expect(loaded.network.optimizer == .adam(beta1: 0.8, amsgrad: true))
        #expect(loaded.network.optimizerState == state)
        #expect(ModelFile.encode(loaded) == encoded)

        // Two more epochs from the file equal two more epochs of the original.
        var original = model.network, restored = loaded.network
        try original.train(on: data, epochs: 2, learningRate: 0.01, batchSize: 8, shuffle: false)
        try restored.train(on: data, epochs: 2, learningRate: 0.01, batchSize: 8, shuffle: false)
        #expect(parameterBits(restored) == parameterBits(original))
        #expect(restored.optimizerState == original.optimizerState)
        #expect(restored.optimizerState?.step == 25)
        // Without the state the continuation differs (the test can tell).
        var fresh = loaded.network
        fresh.optimizer = .adam(beta1: 0.8, amsgrad: true)
        try fresh.train(on: data, epochs: 2, learningRate: 0.01, batchSize: 8, shuffle: false)
        #expect(parameterBits(fresh) != parameterBits(original))
    }

    @Test func optimizerWithoutStateAndGradientDescentFiles() throws {
        // An optimiser set but not yet used: its settings, no state.
        var (model, _) = try Self.trained(with: .gradientDescent)
        #expect(!String(decoding: ModelFile.encode(model), as: UTF8.self).contains("\"optimizer\""),
                "plain gradient descent writes no optimizer field")
        var network = model.network
        network.optimizer = .rmsprop(alpha: 0.9, centered: true)
        model = try TabularModel(network: network, task: model.task, featureNames: model.featureNames,
                                 labelName: model.labelName, classes: model.classes, inputScaling: nil)
        let text = String(decoding: ModelFile.encode(model), as: UTF8.self)
        #expect(text.contains("\"optimizer\"") && !text.contains("\"step\""))
        let loaded = try ModelFile.decode(Data(text.utf8), source: "m.json")
        #expect(loaded.network.optimizer == .rmsprop(alpha: 0.9, centered: true))
        #expect(loaded.network.optimizerState == nil)
        // Momentum SGD keeps one slot.
        let (momentum, _) = try Self.trained(with: .sgd(momentum: 0.9, nesterov: true))
        let reloaded = try ModelFile.decode(ModelFile.encode(momentum), source: "m.json")
        #expect(reloaded.network.optimizerState == momentum.network.optimizerState)
        #expect(reloaded.network.optimizerState?.values.count == momentum.network.parameterCount)
    }

    @Test func damagedOptimizerStateIsRefused() throws {
        let (model, _) = try Self.trained(with: .adam())
        let count = model.network.parameterCount
        func optimizer(_ change: @escaping (inout Object) -> Void) -> (inout Object) -> Void {
            { object in
                var optimizer = object["optimizer"] as! Object
                change(&optimizer)
                object["optimizer"] = optimizer
            }
        }
        func settings(_ change: @escaping (inout Object) -> Void) -> (inout Object) -> Void {
            optimizer { o in
                var settings = o["settings"] as! Object
                change(&settings)
                o["settings"] = settings
            }
        }
        func state(_ change: @escaping (inout [[Double]]) -> Void) -> (inout Object) -> Void {
            optimizer { o in
                var slots = o["state"] as! [[Double]]
                change(&slots)
                o["state"] = slots
            }
        }
        try expect(model, field: "optimizer.state[1]", .shapeMismatch(expected: "\(count) values (one per parameter)",
                                                                      got: "\(count - 1)"), state { $0[1].removeLast() })
        try expect(model, field: "optimizer.state", .shapeMismatch(expected: "2 lists (the state slots of adam)", got: "3"),
                   state { $0.append($0[0]) })
        try expect(model, field: "optimizer.state", .wrongType(expected: "a list"),
                   optimizer { $0["state"] = "zeros" })
        try expect(model, field: "optimizer.state", .missingField, optimizer { $0["state"] = nil })
        try expect(model, field: "optimizer.step", .missingField, optimizer { $0["step"] = nil })
        try expect(model, field: "optimizer.step", .invalidValue("must be ≥ 0, got -1"), optimizer { $0["step"] = -1 })
        try expect(model, field: "optimizer.step", .wrongType(expected: "an integer"), optimizer { $0["step"] = 1.5 })
        try expect(model, field: "optimizer.settings", .missingField, optimizer { $0["settings"] = nil })
        try expect(model, field: "optimizer.settings.beta2", .missingField, settings { $0["beta2"] = nil })
        try expect(model, field: "optimizer.settings.beta1", .wrongType(expected: "a number"), settings { $0["beta1"] = "0.9" })
        try expect(model, field: "optimizer.settings.beta1", .invalidValue("optimizer.beta1 must be in [0, 1), got 1.5"),
                   settings { $0["beta1"] = 1.5 })
        try expect(model, field: "optimizer.settings.rule",
                   .invalidValue("unknown optimizer \"nadam\"; expected one of \"sgd\", \"adam\", \"adamW\", \"rmsprop\", \"adagrad\", \"rprop\""),
                   settings { $0["rule"] = "nadam" })
        try expect(model, field: "optimizer.settings.lookahead", .unknownField, settings { $0["lookahead"] = 5 })
        try expect(model, field: "optimizer.velocity", .unknownField, optimizer { $0["velocity"] = [1] })
        try expect(model, field: "optimizer", .wrongType(expected: "an object"), { $0["optimizer"] = [1, 2] })
        // A negative second moment is not a state Adam can be in.
        let data = try corrupt(model, state { $0[1][3] = -1e-9 })
        #expect {
            _ = try ModelFile.decode(data, source: "m.json")
        } throws: { error in
            guard let error = error as? ModelFileError, case let .invalidValue(reason) = error.kind else { return false }
            return error.field == "optimizer.state" && reason.contains("negative")
        }
        // A number out of range in the text: located by line and column.
        var text = String(decoding: ModelFile.encode(model), as: UTF8.self)
        let step = try #require(text.range(of: "\"step\": 15"))
        text.replaceSubrange(step, with: "\"step\": 1e999")
        let line = text[..<step.lowerBound].filter { $0 == "\n" }.count + 1
        #expect(throws: ModelFileError(file: "m.json", line: line, column: 13, .nonFinite)) {
            try ModelFile.decode(Data(text.utf8), source: "m.json")
        }
    }
}
