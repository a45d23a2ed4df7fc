import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `backprop`: train, evaluate and predict with neural networks on CSV data.
@main
struct BackpropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backprop",
        abstract: "Train, evaluate and use neural networks trained by backpropagation.",
        discussion: """
            Start with `backprop demo`. Then, with a CSV file (header row, numeric \
            feature columns, a label column):

              backprop train --data train.csv --out model.json --plot plots
              backprop evaluate --model model.json --data test.csv
              backprop predict --model model.json --data new.csv --out predictions.csv

            Exit status: 0 on success; 1 when `gradcheck` finds a mismatch; 2 for bad \
            input (a file that is missing or malformed), with a one-line message naming \
            the file, line and column; 64 for a command-line usage error; 130 (143 for \
            SIGTERM, 129 for SIGHUP) when `train` was interrupted and saved a checkpoint.
            """,
        version: "0.4.0",
        subcommands: [DemoCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
                      GradcheckCommand.self]
    )

    /// Runs the command with SIGPIPE ignored: output to a closed pipe
    /// (`backprop train … | head`) then fails quietly instead of killing
    /// the process before its model is saved.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        main(nil)
    }
}
