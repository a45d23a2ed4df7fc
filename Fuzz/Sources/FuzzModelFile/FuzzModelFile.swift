import Backprop
import Foundation
import FuzzerDriver

/// Runs libFuzzer with this target's command line (`-runs=`, a corpus
/// directory, ...; see Fuzz/README.md).
@main
enum FuzzModelFile {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzModelFile(data, size) })
    }
}

/// libFuzzer's entry point: one input, read as a model file.
///
/// What must hold for any bytes: decoding either succeeds or throws a
/// ``ModelFileError`` — never a trap, never another error type. A model
/// that decodes can be used: a prediction on a row of its features returns
/// (or throws a ``BackpropError``), and saving it and reading it back gives
/// the same parameters, bit for bit. A broken invariant is reported by
/// `fatalError`, which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    let model: TabularModel
    do {
        model = try ModelFile.decode(data, source: "fuzz.json")
    } catch let error as ModelFileError {
        let message = error.description
        if !message.hasPrefix("fuzz.json") { fatalError("message does not name the file: \(message)") }
        return 0
    } catch {
        fatalError("untyped error \(type(of: error)): \(error)")
    }
    use(model)
    return 0
}

private func use(_ model: TabularModel) {
    // A row for every feature: zeros, then a row of the stored input means
    // (what standardization maps to zero).
    let width = model.featureNames.count
    var rows = [Double](repeating: 0, count: width)
    rows += model.inputScaling?.mean ?? [Double](repeating: 1, count: width)
    do {
        let x = try Matrix(rows: 2, columns: width, elements: rows)
        let outputs = try model.outputs(x)
        if outputs.rows != 2 || outputs.columns != model.network.outputSize {
            fatalError("outputs are \(outputs.rows) × \(outputs.columns), expected 2 × \(model.network.outputSize)")
        }
        switch model.task {
        case .classification:
            let classes = try model.predictClasses(x)
            let count = model.classes?.count ?? 0
            if !classes.allSatisfy({ $0 >= 0 && $0 < count }) { fatalError("class index out of range: \(classes)") }
        case .regression:
            _ = try model.predictValues(x)
        }
    } catch let error as BackpropError {
        _ = error.description
    } catch {
        fatalError("untyped error \(type(of: error)): \(error)")
    }

    // Save → load is exact.
    do {
        let again = try ModelFile.decode(ModelFile.encode(model), source: "again.json")
        if bits(again) != bits(model) || again.network.layers != model.network.layers
            || again.featureNames != model.featureNames
            || again.classes != model.classes || again.inputScaling != model.inputScaling
            || again.targetScaling != model.targetScaling || again.metadata != model.metadata {
            fatalError("save → load changed the model")
        }
    } catch {
        fatalError("a model that was read cannot be read back once saved: \(error)")
    }
}

/// Every parameter's bit pattern, layer after layer (weights, then bias).
private func bits(_ model: TabularModel) -> [UInt64] {
    model.network.layers.flatMap { ($0.weights.elements + $0.bias).map(\.bitPattern) }
}
