import Backprop
import Foundation
import FuzzerDriver

/// Runs libFuzzer with this target's command line (`-runs=`, a corpus
/// directory, ...; see Fuzz/README.md).
@main
enum FuzzCSV {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data, size) })
    }
}

/// libFuzzer's entry point: one input, read as a CSV data file.
///
/// What must hold for any bytes: reading either succeeds or throws a
/// ``DataFileError`` (or a ``BackpropError`` from a later step) — never a
/// trap, never another error type — and what a successful read returns
/// keeps the documented invariants (every record as wide as the header,
/// record lines increasing, every feature finite, every class index in
/// range). A broken invariant is reported by `fatalError`, which libFuzzer
/// records as a crash with the input that caused it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    expectTypedErrors { try check(data) }
    return 0
}

private func check(_ data: Data) throws {
    let table = try CSVTable(data: data, source: "fuzz.csv")
    require(!table.header.isEmpty && table.count > 0, "a table without header or records")
    require(table.lines.count == table.count, "one line per record")
    for (i, record) in table.records.enumerated() {
        require(record.count == table.header.count, "record \(i) is \(record.count) wide, header \(table.header.count)")
        require(table.lines[i] >= 2 && (i == 0 || table.lines[i] > table.lines[i - 1]), "record lines increase")
    }

    // Training data: the last column as labels, the others as features.
    let training = try TabularData(table: table)
    require(training.features.elements.allSatisfy(\.isFinite), "a non-finite feature was accepted")
    require(training.count == table.count, "one row per record")
    readLabels(training)

    // A model's view: the first columns as features, the last as labels,
    // which must give the same numbers.
    let names = Array(training.featureNames)
    let evaluation = try TabularData(table: table, featureNames: names, labelColumn: training.labelName,
                                     requireLabels: true)
    require(evaluation.features == training.features, "the two readings of the features differ")
}

/// Class labels and numeric labels: each works or throws a typed error.
private func readLabels(_ data: TabularData) {
    expectTypedErrors {
        let classes = try data.fitClasses()
        let indices = try data.classIndices(using: classes)
        require(indices.allSatisfy { $0 >= 0 && $0 < classes.count }, "a class index out of range")
        for (i, label) in (data.labels ?? []).enumerated() {
            // numeric labels match their class by value (`01` is class `1`)
            require(classes.index(of: label) == indices[i], "row \(i): class \(indices[i]) is not \(label)")
        }
    }
    expectTypedErrors {
        let values = try data.numericLabels()
        require(values.allSatisfy(\.isFinite), "a non-finite numeric label was accepted")
    }
}

/// Runs `body`; the errors it may throw are a ``DataFileError`` naming the
/// file, or a ``BackpropError``, and nothing else.
private func expectTypedErrors(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as DataFileError {
        expectLocated(error.description)
    } catch let error as BackpropError {
        _ = error.description
    } catch {
        fatalError("untyped error \(type(of: error)): \(error)")
    }
}

/// Every message names the file it is about.
private func expectLocated(_ message: String) {
    require(message.hasPrefix("fuzz.csv"), "message does not name the file: \(message)")
}

private func require(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(what())") }
}
