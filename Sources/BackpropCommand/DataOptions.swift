import ArgumentParser
import Backprop

/// A subcommand that reads a CSV file named by `--data`: what that file
/// must hold, as the option's help says it.
protocol DataReadingCommand {
    /// The help text of `--data` (ending in "(- for standard input).").
    static var dataHelp: String { get }
}

/// `--delimiter`: how a subcommand reads its CSV files, all with the same
/// delimiter (``readTable(_:)``, in DataSource.swift).
struct CSVOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CSV field delimiter: , ; or tab (default: found in the header line).", valueName: "delimiter"))
    var delimiter: DelimiterOption?
}

/// The data options of a subcommand that always reads a CSV file
/// (`evaluate`, `predict`): `--data FILE`, required, and `--delimiter`.
struct DataOptions<Command: DataReadingCommand>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.dataHelp, valueName: "file"))
    var data: String

    @OptionGroup var csv: CSVOptions

    /// The table `--data` names.
    func readTable() throws -> CSVTable {
        try csv.readTable(data)
    }
}

/// The data options of a subcommand whose data may come from elsewhere
/// (`train --resume`, `gradcheck --dataset`): `--data FILE`, optional, and
/// `--delimiter`.
struct OptionalDataOptions<Command: DataReadingCommand>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.dataHelp, valueName: "file"))
    var data: String?

    @OptionGroup var csv: CSVOptions
}
