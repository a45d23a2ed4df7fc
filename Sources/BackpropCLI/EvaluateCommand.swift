import ArgumentParser
import Backprop
import Foundation

/// `backprop evaluate`: a model's quality on labelled data.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model on labelled data: loss, accuracy and confusion matrix, or MSE, MAE and R².")

    @Option(help: ArgumentHelp("A model file written by `backprop train`.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("A CSV file with the model's feature columns and its label column.", valueName: "file"))
    var data: String

    func run() throws {
        try reportingErrors {
            let model = try ModelFile.load(from: URL(fileURLWithPath: self.model))
            let table = try CSVTable(contentsOf: URL(fileURLWithPath: data))
            let rows = try TabularData(table: table, featureNames: model.featureNames, labelColumn: model.labelName,
                                       requireLabels: true)
            // Everything is computed before anything is printed, so bad
            // input gives the error line alone.
            var lines = ["model: \(self.model) (\(model.task), \(Format.architecture(model.network)))",
                         "data: \(data), \(rows.count) rows"]
            if let classes = model.classes {
                let indices = try rows.classIndices(using: classes)
                let metrics = try locatingOverflow(model: self.model, on: rows) {
                    try model.evaluate(features: rows.features, classIndices: indices)
                }
                lines += ["loss: \(Format.loss(metrics.loss)) (\(Format.loss(name: model.network.loss)))",
                          "accuracy: \(Format.percent(metrics.accuracy)) (\(metrics.confusion.correct) of \(metrics.confusion.total))",
                          "",
                          "confusion matrix (rows: true class, columns: predicted class):",
                          metrics.confusion.description]
            } else {
                let values = try rows.numericLabels()
                let metrics = try locatingOverflow(model: self.model, on: rows) {
                    try model.evaluate(features: rows.features, values: values)
                }
                lines += ["MSE: \(Format.number(metrics.meanSquaredError))",
                          "MAE: \(Format.number(metrics.meanAbsoluteError))",
                          "R²: \(metrics.r2.map(Format.number) ?? "n/a (every label is the same)")"]
            }
            lines.forEach { Console.out($0) }
        }
    }
}
