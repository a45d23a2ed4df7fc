import ArgumentParser
import Backprop
import Foundation

/// `backprop predict`: a model's predictions for new rows, as CSV.
struct PredictCommand: ParsableCommand, DataReadingCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict class labels (or values) for the rows of a CSV file.",
        discussion: """
            The input needs the model's feature columns; its label column, if present, \
            is ignored. The output is CSV with one row per input row, in order: the \
            predicted label (or value), then with --probabilities one column per class. \
            Numbers are written in full precision.
            """)

    @Option(help: ArgumentHelp("A model file written by `backprop train`.", valueName: "file"))
    var model: String

    static let dataHelp = "A CSV file with the model's feature columns (- for standard input)."
    @OptionGroup var input: DataOptions<PredictCommand>

    @Option(help: ArgumentHelp("Write the predictions here (atomically) instead of to standard output.", valueName: "file"))
    var out: String?

    @Flag(help: "Add each class's probability (classification models).")
    var probabilities = false

    func validate() throws {
        for (option, path) in [("--model", model), ("--data", input.data), ("--out", out)] where path?.isEmpty == true {
            throw ValidationError("\(option) needs a path, got an empty one")
        }
    }

    func run() throws {
        try reportingErrors {
            let model = try ModelFile.load(from: URL(fileURLWithPath: self.model))
            if let out {
                try requireWritable(out, for: "--out")
                try requireDistinct(output: out, for: "--out", from: [("--model", self.model), ("--data", input.data)])
            }
            let table = try input.readTable()
            let rows = try TabularData(table: table, featureNames: model.featureNames, labelColumn: model.labelName,
                                       requireLabels: false)
            var lines: [String] = []
            if let classes = model.classes {
                let p = try locatingOverflow(model: self.model, on: rows) { try model.classProbabilities(rows.features) }
                let predicted = try model.predictClasses(rows.features)
                var header = [model.labelName]
                if probabilities { header += classes.names.map { "P(\($0))" } }
                lines.append(header.map(csvField).joined(separator: ","))
                for i in 0..<rows.count {
                    var fields = [classes[predicted[i]]]
                    if probabilities { fields += (0..<classes.count).map { p[i, $0].description } }
                    lines.append(fields.map(csvField).joined(separator: ","))
                }
            } else {
                if probabilities { throw UserError("--probabilities needs a classification model; \(self.model) is a regression model") }
                let values = try locatingOverflow(model: self.model, on: rows) { try model.predictValues(rows.features) }
                lines.append(csvField(model.labelName))
                lines += values.map(\.description)
            }
            let text = lines.joined(separator: "\n") + "\n"
            if let out {
                try AtomicFile.write(text, to: URL(fileURLWithPath: out))
                Console.out("wrote \(rows.count) predictions to \(out)")
            } else {
                Console.raw(text)
            }
        }
    }
}

/// A CSV field, quoted when it holds a comma, quote, or line break (RFC 4180).
func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s != s.trimmingCharacters(in: .whitespaces) else {
        return s
    }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
