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

extension CSVOptions {
    /// Reads the CSV file of a data option with `--delimiter` (or the one
    /// found in its header line): a path, or `-` for standard input, read to
    /// its end (a file called `-` is `./-`). On a terminal a line on standard
    /// error says that input is awaited until end of file, so the wait is
    /// never silent.
    /// - Throws: ``DataFileError`` as ``CSVTable/init(contentsOf:delimiter:)``;
    ///   errors in standard input name it `<stdin>`.
    func readTable(_ path: String) throws -> CSVTable {
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
        // Read in pieces, so that endless input (`< /dev/zero`) stops at the
        // memory the parse would need rather than exhausting it.
        let limit = (MemoryBudget.system.availableBytes ?? Int.max) / MemoryBudget.parsingFactor
        var data = Data()
        while true {
            let piece: Data?
            do {
                piece = try FileHandle.standardInput.read(upToCount: 1 << 20)
            } catch {
                throw DataFileError(file: standardInputName, .unreadable("read error on standard input"))
            }
            guard let piece, !piece.isEmpty else { break }
            data.append(piece)
            if data.count > limit {
                throw BackpropError.insufficientMemory(what: "reading standard input (more than \(data.count) bytes)",
                                                       required: MemoryBudget.bytes(count: data.count, size: MemoryBudget.parsingFactor),
                                                       available: MemoryBudget.system.availableBytes ?? 0)
            }
        }
        return try CSVTable(data: data, source: standardInputName, delimiter: delimiter?.delimiter)
    }
}
