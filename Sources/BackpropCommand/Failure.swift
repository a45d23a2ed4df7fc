import ArgumentParser
import Backprop

/// A problem the user can fix, reported as one line without a stack trace.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Exit status 2: bad input.
let inputErrorExitCode = ExitCode(2)
/// Exit status 1: the gradient check failed.
let gradientCheckFailedExitCode = ExitCode(1)

/// Runs a command body, turning every error about the user's input into one
/// line on standard error and exit status 2. ArgumentParser's own errors
/// (usage, help) pass through.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        Console.err("backprop: error: \(message(for: error))")
        throw inputErrorExitCode
    }
}

/// Runs `body`, which applies the model file `modelPath` to `rows`, and
/// turns an overflow there into a message at the row's file and line.
func locatingOverflow<T>(model modelPath: String, on rows: TabularData, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let BackpropError.overflow(what, row) where rows.lines.indices.contains(row) {
        throw UserError("\(rows.source):\(rows.lines[row]): model \(modelPath) overflows on this row: NaN or infinity "
                        + "in \(what), although the features and the model's parameters are finite")
    }
}

/// One line for any error.
func message(for error: any Error) -> String {
    let text: String
    switch error {
    case let e as DataFileError: text = e.description
    case let e as ModelFileError: text = e.description
    case let e as FileWriteError: text = e.description
    case let e as BackpropError: text = e.description
    case let e as UserError: text = e.description
    default: text = String(describing: error)
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
