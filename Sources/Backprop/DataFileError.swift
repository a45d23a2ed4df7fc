/// A problem with a data (CSV) file, located as precisely as possible.
///
/// `description` is one line in the compiler's `file:line:column: message`
/// style, e.g. `train.csv:7:3: cell "abc" in column "x2" is not a number`.
/// Lines and columns count from 1; the header is line 1 and column 1 is
/// the first field of a record.
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Equatable {
        /// No file at the path.
        case notFound
        /// The file exists but cannot be read (a directory, no permission, not UTF-8 text...).
        case unreadable(String)
        /// The file has no header row (it is empty or holds only blank lines).
        case empty
        /// A header but no data rows.
        case noRows
        /// A header field is empty.
        case emptyColumnName
        /// Two header fields have the same name.
        case duplicateColumn(String)
        /// A record has a different number of fields from the header.
        case raggedRow(expected: Int, got: Int)
        /// An empty cell where a number is required (missing values are not supported).
        case emptyCell(column: String)
        /// A cell that is not a number, in a column that must be numeric.
        case notANumber(String, column: String)
        /// A cell that parses to NaN or ±infinity.
        case nonFinite(String, column: String)
        /// A required column is not in the header; `available` lists the header.
        case missingColumn(String, available: [String])
        /// A column the model does not know.
        case unexpectedColumn(String)
        /// A class label that the model was not trained on.
        case unknownLabel(String, column: String, known: [String])
        /// The label column holds fewer than two classes.
        case tooFewClasses(column: String, found: [String])
        /// No feature columns remain once the label column is set aside.
        case noFeatures
    }

    /// The file, as given (a path, or a name for in-memory text).
    public var file: String
    /// 1-based line, when the problem is on one line.
    public var line: Int?
    /// 1-based column (field position in the record), when known.
    public var column: Int?
    /// What is wrong.
    public var kind: Kind

    /// An error at `file`, optionally at a line and column.
    public init(file: String, line: Int? = nil, column: Int? = nil, _ kind: Kind) {
        self.file = file
        self.line = line
        self.column = column
        self.kind = kind
    }

    /// `file:line:column: message`, on one line.
    public var description: String {
        "\(fileLocation(file, line: line, column: column)): \(message)"
    }

    /// The message without the location.
    public var message: String {
        switch kind {
        case .notFound:
            return "no such file"
        case let .unreadable(reason):
            return "cannot read the file: \(reason)"
        case .empty:
            return "the file is empty: expected a header row of column names, then data rows"
        case .noRows:
            return "the file has a header but no data rows"
        case .emptyColumnName:
            return "empty column name in the header"
        case let .duplicateColumn(name):
            return "column \(quoted(name)) appears twice in the header"
        case let .raggedRow(expected, got):
            return "this row has \(got) \(got == 1 ? "field" : "fields"), but the header has \(expected)"
        case let .emptyCell(column):
            return "empty cell in column \(quoted(column)): missing values are not supported"
        case let .notANumber(cell, column):
            return "cell \(quoted(cell)) in column \(quoted(column)) is not a number"
        case let .nonFinite(cell, column):
            return "cell \(quoted(cell)) in column \(quoted(column)) is not a finite number"
        case let .missingColumn(name, available):
            return "no column \(quoted(name)); the header has \(list(available))"
        case let .unexpectedColumn(name):
            return "column \(quoted(name)) is not one of the model's features"
        case let .unknownLabel(label, column, known):
            return "label \(quoted(label)) in column \(quoted(column)) was never seen in training (known: \(list(known)))"
        case let .tooFewClasses(column, found):
            return "column \(quoted(column)) has \(found.count == 1 ? "only one class, \(quoted(found[0]))" : "no classes"): classification needs at least 2"
        case .noFeatures:
            return "no feature columns: the file has only the label column"
        }
    }

    private func list(_ names: [String]) -> String {
        let shown = names.prefix(12).map(quoted).joined(separator: ", ")
        return names.count > 12 ? shown + ", … (\(names.count) in all)" : shown
    }
}

/// `file`, `file:line` or `file:line:column`: where a data or model file
/// error sits, in the form compilers and editors understand.
func fileLocation(_ file: String, line: Int?, column: Int?) -> String {
    guard let line else { return file }
    guard let column else { return "\(file):\(line)" }
    return "\(file):\(line):\(column)"
}

/// `"text"`, with quotes and control characters escaped and long text cut,
/// so that a message naming a cell stays on one line.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars.prefix(60) {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    if text.unicodeScalars.count > 60 { out += "…" }
    return out + "\""
}
