import ArgumentParser
import Backprop
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--delimiter`: the CSV field delimiter, `,` `;` or `tab` (also `comma`,
/// `semicolon`, `\t`). Without it the delimiter is detected from the header line.
struct DelimiterOption: ExpressibleByArgument {
    var delimiter: CSVTable.Delimiter

    init?(argument: String) {
        guard let delimiter = CSVTable.Delimiter(argument) else { return nil }
        self.delimiter = delimiter
    }

    static var allValueStrings: [String] { [",", ";", "tab"] }
}

/// The name standard input goes by in messages when a data option is `-`.
let standardInputName = "<stdin>"

/// Reads the CSV file of a data option: a path, or `-` for standard input,
/// read to its end (a file called `-` is `./-`). On a terminal a line on
/// standard error says that input is awaited until end of file, so the
/// wait is never silent.
/// - Throws: ``DataFileError`` as ``CSVTable/init(contentsOf:delimiter:)``;
///   errors in standard input name it `<stdin>`.
func readTable(_ path: String, delimiter: DelimiterOption?) throws -> CSVTable {
    guard path == "-" else { return try CSVTable(contentsOf: URL(fileURLWithPath: path), delimiter: delimiter?.delimiter) }
    if isatty(STDIN_FILENO) == 1 {
        Console.err("backprop: reading CSV from standard input until end of file (Ctrl-D)")
    }
    var status = stat()
    guard fstat(STDIN_FILENO, &status) == 0 else {
        throw DataFileError(file: standardInputName, .unreadable("standard input is closed"))
    }
    guard status.st_mode & S_IFMT != S_IFDIR else {
        throw DataFileError(file: standardInputName, .unreadable("it is a directory"))
    }
    let data: Data
    do {
        data = try FileHandle.standardInput.readToEnd() ?? Data()
    } catch {
        throw DataFileError(file: standardInputName, .unreadable("read error on standard input"))
    }
    return try CSVTable(data: data, source: standardInputName, delimiter: delimiter?.delimiter)
}
