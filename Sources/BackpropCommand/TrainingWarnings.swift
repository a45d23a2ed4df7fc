import Backprop

/// Diagnoses a finished run of `backprop train` (see
/// `TrainingReport.diagnosis(baseline:accuracy:)`) and prints each warning
/// to standard error as one line, `backprop: warning: …`, with what to try.
/// A warning does not change the exit status: the model is still saved.
///
/// - Parameters:
///   - losses: the training loss of every epoch, first to last.
///   - network: the trained network.
///   - data: the training data as the network saw it (standardized), for
///     the constant baseline and the accuracy.
///   - learningRate: the `--learning-rate` used, named in the hint.
/// - Returns: the warnings printed.
@discardableResult
func warnAboutTraining(losses: [Double], network: Network<Double>, on data: Dataset<Double>,
                       learningRate: Double) throws -> [TrainingWarning] {
    let baseline = try network.constantBaseline(on: data)
    // An accuracy that cannot be computed (outputs that overflow) leaves
    // the loss-based warnings to speak.
    let accuracy = network.loss.isClassification ? try? network.accuracy(on: data) : nil
    let warnings = TrainingReport(trainingLoss: losses).diagnosis(baseline: baseline, accuracy: accuracy)
    for warning in warnings {
        let hint: String
        switch warning {
        case .lossIncreased: hint = "try a smaller --learning-rate than \(learningRate)"
        case .noBetterThanConstant, .chanceAccuracy:
            hint = "try another --learning-rate than \(learningRate), more --epochs, or other --layers"
        }
        Console.err("backprop: warning: \(warning); \(hint)")
    }
    return warnings
}
