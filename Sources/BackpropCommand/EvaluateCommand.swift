import ArgumentParser
import Backprop
import Foundation

/// `backprop evaluate`: a model's quality on labelled data.
struct EvaluateCommand: ParsableCommand, DataReadingCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model on labelled data: loss, accuracy and confusion matrix, or MSE, MAE and R².")

    @Option(help: ArgumentHelp("A model file written by `backprop train`.", valueName: "file"))
    var model: String

    static let dataHelp = "A CSV file with the model's feature columns and its label column (- for standard input)."
    @OptionGroup var input: DataOptions<EvaluateCommand>

    func run() throws {
        try reportingErrors {
            let model = try ModelFile.load(from: URL(fileURLWithPath: self.model))
            let table = try input.readTable()
            let rows = try TabularData(table: table, featureNames: model.featureNames, labelColumn: model.labelName,
                                       requireLabels: true)
            // Everything is computed before anything is printed, so bad
            // input gives the error line alone.
            var lines = ["model: \(self.model) (\(model.task), \(Format.architecture(model.network)))",
                         "data: \(table.source), \(rows.count) rows"]
            if let classes = model.classes {
                let indices = try rows.classIndices(using: classes)
                let metrics = try locatingOverflow(model: self.model, on: rows) {
                    try model.evaluate(features: rows.features, classIndices: indices)
                }
                lines += ["loss: \(Format.loss(metrics.loss)) (\(Format.loss(name: model.network.loss)))",
                          "accuracy: \(Format.percent(metrics.accuracy)) (\(metrics.confusion.correct) of \(metrics.confusion.total))",
                          ""]
                if metrics.confusion.classes.count <= ConfusionMatrix.tableClassLimit {
                    lines += ["confusion matrix (rows: true class, columns: predicted class):", metrics.confusion.table]
                } else {
                    lines.append(metrics.confusion.summary(showing: ConfusionMatrix.tableClassLimit))
                }
            } else {
                let values = try rows.numericLabels()
                let metrics = try locatingOverflow(model: self.model, on: rows) {
                    try model.evaluate(features: rows.features, values: values)
                }
                lines += ["MSE: \(Format.number(metrics.meanSquaredError))",
                          "MAE: \(Format.number(metrics.meanAbsoluteError))",
                          "R²: \(metrics.rSquared.map(Format.number) ?? "n/a (every label is the same)")"]
            }
            lines.forEach { Console.out($0) }
        }
    }
}
