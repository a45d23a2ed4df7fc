import BackpropCore
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
        /// A cell read as a number or a label holds a control character
        /// (U+0000–U+001F, U+007F–U+009F) other than the spaces and tabs
        /// trimmed around a field: a NUL byte, an escape code, a stray CR.
        case controlCharacter(String, column: String)
        /// A quoted field whose closing quote never comes; the error sits at
        /// the opening quote.
        case unterminatedQuote
        /// Text after the closing quote of a quoted field (a quote inside a
        /// quoted field is written `""`); `quoteLine` is where the field's
        /// opening quote is.
        case textAfterClosingQuote(String, quoteLine: Int)
        /// A label column given by a position outside the header's columns.
        case noColumnAtPosition(Int, columns: Int)
        /// More classes than the class limit allows.
        case tooManyClasses(column: String, classes: Int, rows: Int, limit: Int)
        /// So many classes for so few rows that the column looks like an
        /// identifier; `singletons` classes occur in one row only.
        case identifierLikeLabels(column: String, classes: Int, rows: Int, singletons: Int)
    }

    /// The file, as given (a path, or a name for in-memory text).
    public var file: String
    /// 1-based line, when the problem is on one line.
    public var line: Int?
    /// 1-based column (field position in the record), when known.
    public var column: Int?
    /// What is wrong.
    public var kind: Kind
    /// What may explain the error, when the reader has a guess: for
    /// instance that the fields were split at `,` while a header name
    /// contains `;`.
    public var note: String?

    /// An error at `file`, optionally at a line and column, with an
    /// optional note on its likely cause.
    public init(file: String, line: Int? = nil, column: Int? = nil, _ kind: Kind, note: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.kind = kind
        self.note = note
    }

    /// `file:line:column: message`, then `; note` if there is one, on one line.
    public var description: String {
        "\(fileLocation(file, line: line, column: column)): \(message)" + (note.map { "; \($0)" } ?? "")
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
        case let .controlCharacter(cell, column):
            let scalar = cell.unicodeScalars.first { $0.properties.generalCategory == .control }!
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "cell \(quoted(cell)) in column \(quoted(column)) contains the control character "
                + "U+\(String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex)"
        case .unterminatedQuote:
            return "unterminated quote: the quoted field that starts here has no closing quote"
        case let .textAfterClosingQuote(text, quoteLine):
            return "text \(quoted(text)) after the closing quote of a quoted field"
                + (line == quoteLine ? "" : " (opened on line \(quoteLine))")
                + "; a quote inside a quoted field is written as two (\"\")"
        case let .noColumnAtPosition(position, columns):
            return "no column at position \(position): the header has \(columns) \(columns == 1 ? "column" : "columns")"
                + " (positions count from 1, or from -1 for the last)"
        case let .tooManyClasses(column, classes, rows, limit):
            return "column \(quoted(column)) has \(classes) classes in \(rows) rows, more than the limit of \(limit); "
                + "raise the class limit (--max-classes) if that many classes are intended"
        case let .identifierLikeLabels(column, classes, rows, singletons):
            return "column \(quoted(column)) looks like an identifier, not class labels: \(classes) classes in \(rows) rows "
                + "(\(singletons) occurring once); choose another label column, or give a class limit (--max-classes) "
                + "to train on it anyway"
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

