import BackpropCore
import Foundation

/// A CSV file as text cells: a header row of column names, then records.
///
/// The reader follows RFC 4180: fields separated by a delimiter (`,`, `;`
/// or tab, detected from the header line unless given), fields in double
/// quotes may hold delimiters, line breaks and doubled quotes (`""`), and
/// LF, CR LF or a lone CR ends a line. On top of that it keeps what a data
/// loader needs: the header, the line on which each record starts (quoted
/// fields may span lines), blank lines skipped, spaces and tabs around a
/// field trimmed (other control characters are kept, so that a cell read as
/// a number or a label can refuse them), and errors that name the file,
/// line and column. An unterminated quote, or text after a closing quote,
/// is an error at the quote's line and column, never a silently merged
/// field.
///
/// ```swift
/// let table = try CSVTable(contentsOf: URL(fileURLWithPath: "train.csv"))
/// table.header        // ["x1", "x2", "label"]
/// table.records[0]    // ["0.5", "-1.25", "red"]
/// table.lines[0]      // 2: the first record is on line 2, after the header
/// table.delimiter     // .comma, found in the header line
/// ```
public struct CSVTable: Sendable, Equatable {
    /// The character that separates the fields of a record.
    public enum Delimiter: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `,`
        case comma
        /// `;`, common where the decimal separator is a comma.
        case semicolon
        /// The tab character (TSV files).
        case tab

        /// The delimiter character.
        public var character: Unicode.Scalar {
            switch self {
            case .comma: return ","
            case .semicolon: return ";"
            case .tab: return "\t"
            }
        }

        /// The delimiter written as a name (`tab`) or the character in
        /// quotes (`","`, `";"`), for messages.
        public var description: String { self == .tab ? "tab" : "\"\(character)\"" }

        /// A delimiter from its character (`,` `;` or a tab) or its name
        /// (`comma`, `semicolon`, `tab`, or `\t` written as two characters).
        public init?(_ text: String) {
            switch text.lowercased() {
            case ",", "comma": self = .comma
            case ";", "semicolon": self = .semicolon
            case "\t", "\\t", "tab": self = .tab
            default: return nil
            }
        }

        /// The delimiter of CSV text, judged from its header line: the
        /// candidate that splits the header into the most fields (outside
        /// quotes); on a tie, the one that splits the first record into as
        /// many fields as the header; then comma, semicolon, tab in that
        /// order. A header with none of them is read as comma-separated (a
        /// single column).
        public static func detect(in text: String) -> Delimiter {
            let fieldCounts = allCases.map { candidate -> (header: Int, record: Int?) in
                var reader = CSVRecordReader(text: text, delimiter: candidate.character, source: "")
                var counts: [Int] = []
                while counts.count < 2, let record = try? reader.next() {
                    if !record.isBlank { counts.append(record.fields.count) }
                }
                return (counts.first ?? 1, counts.count > 1 ? counts[1] : nil)
            }
            let most = fieldCounts.map(\.header).max()!
            guard most > 1 else { return .comma }
            let widest = allCases.indices.filter { fieldCounts[$0].header == most }
            let consistent = widest.filter { fieldCounts[$0].record == most }
            return allCases[(consistent.first ?? widest.first)!]
        }
    }

    /// The file name used in error messages.
    public var source: String
    /// The column names, from the first non-blank line.
    public var header: [String]
    /// The data records; each has exactly `header.count` fields.
    public var records: [[String]]
    /// The 1-based line on which each record starts (parallel to `records`).
    public var lines: [Int]
    /// The delimiter the fields were split at.
    public var delimiter: Delimiter
    /// Whether ``delimiter`` was detected from the header line (rather than given).
    public var delimiterWasDetected: Bool

    /// Reads and parses a CSV file. Errors name it as `url.relativePath`
    /// (the path as given, for a URL made from a relative path).
    /// - Parameters:
    ///   - url: the file to read.
    ///   - delimiter: the field delimiter; `nil` detects it from the header
    ///     line (see ``Delimiter/detect(in:)``).
    /// - Throws: ``DataFileError`` when the file is missing, unreadable, not
    ///   UTF-8, empty, has no data rows, a bad header, an unterminated
    ///   quote, or a record whose field count differs from the header's.
    public init(contentsOf url: URL, delimiter: Delimiter? = nil) throws {
        let path = url.path, name = url.relativePath   // messages name the file as it was given
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataFileError(file: name, .notFound)
        }
        guard !isDirectory.boolValue else { throw DataFileError(file: name, .unreadable("it is a directory")) }
        try MemoryBudget.system.requireToParse(fileAt: path, named: name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(file: name, .unreadable("permission denied or I/O error"))
        }
        try self.init(data: data, source: name, delimiter: delimiter)
    }

    /// Parses CSV bytes (UTF-8, an optional byte-order mark is skipped).
    /// - Parameters:
    ///   - data: the bytes of the CSV text.
    ///   - source: the name used in error messages.
    ///   - delimiter: the field delimiter; `nil` detects it from the header line.
    public init(data: Data, source: String, delimiter: Delimiter? = nil) throws {
        guard let text = String(validating: data, as: UTF8.self) else {
            let offset = Self.firstInvalidUTF8Offset(data)
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw DataFileError(file: source, line: line, .unreadable("not UTF-8 text (invalid byte at offset \(offset))"))
        }
        try self.init(string: text, source: source, delimiter: delimiter)
    }

    /// Parses CSV text.
    /// - Parameters:
    ///   - string: the CSV text.
    ///   - source: the name used in error messages.
    ///   - delimiter: the field delimiter; `nil` detects it from the header line.
    public init(string: String, source: String, delimiter: Delimiter? = nil) throws {
        var text = string
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let chosen = delimiter ?? Delimiter.detect(in: text)
        self.source = source
        self.delimiter = chosen
        self.delimiterWasDetected = delimiter == nil
        self.header = []
        self.records = []
        self.lines = []

        var reader = CSVRecordReader(text: text, delimiter: chosen.character, source: source)
        var header: [String]?
        var headerLine = 1
        while let record = try reader.next() {
            if record.isBlank { continue }
            guard let columns = header else {
                header = record.fields
                headerLine = record.line
                self.header = record.fields
                try Self.checkColumnNames(record.fields, source: source, line: record.line)
                continue
            }
            guard record.fields.count == columns.count else {
                throw DataFileError(file: source, line: record.line,
                                    column: Swift.min(record.fields.count, columns.count) + 1,
                                    .raggedRow(expected: columns.count, got: record.fields.count),
                                    note: delimiterNote(suspect: record.fields))
            }
            records.append(record.fields)
            lines.append(record.line)
        }
        guard header != nil else { throw DataFileError(file: source, .empty) }
        guard !records.isEmpty else { throw DataFileError(file: source, line: headerLine, .noRows) }
    }

    /// A table from cells already in memory (for building data in code).
    /// - Throws: ``DataFileError`` for an empty or duplicate column name, no
    ///   records, or a record of the wrong length.
    public init(header: [String], records: [[String]], source: String = "<memory>") throws {
        try Self.checkColumnNames(header, source: source, line: 1)
        guard !header.isEmpty else { throw DataFileError(file: source, .empty) }
        guard !records.isEmpty else { throw DataFileError(file: source, line: 1, .noRows) }
        for (i, record) in records.enumerated() where record.count != header.count {
            throw DataFileError(file: source, line: i + 2, column: Swift.min(record.count, header.count) + 1,
                                .raggedRow(expected: header.count, got: record.count))
        }
        self.source = source
        self.header = header
        self.records = records
        self.lines = records.indices.map { $0 + 2 }
        self.delimiter = .comma
        self.delimiterWasDetected = false
    }

    /// Number of data records.
    public var count: Int { records.count }

    /// The position of the column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The number in a cell.
    ///
    /// Accepts what Swift's `Double(_:)` accepts (decimal and exponent
    /// notation, hexadecimal floats) when the cell holds no control
    /// character, and rejects empty cells, anything else, and NaN or
    /// infinite values.
    /// - Throws: ``DataFileError`` naming the cell's line and column.
    public func number(record: Int, column: Int) throws -> Double {
        let cell = records[record][column]
        switch CellNumber.parse(cell, column: header[column]) {
        case let .success(value):
            return value
        case let .failure(failure):
            throw DataFileError(file: source, line: lines[record], column: column + 1, failure.kind,
                                note: delimiterNote(suspect: [cell]))
        }
    }

    /// A note for an error that a wrong delimiter may explain: set when
    /// one of `texts` or a header name contains another candidate
    /// delimiter, `nil` otherwise.
    func delimiterNote(suspect texts: [String]) -> String? {
        let others = Delimiter.allCases.filter { $0 != delimiter }
        for text in texts + header {
            if let other = others.first(where: { text.unicodeScalars.contains($0.character) }) {
                return "the fields were split at \(delimiter) (\(delimiterWasDetected ? "found in the header line" : "as given")), "
                    + "but \(quoted(text)) contains \(other): is the file separated by \(other)?"
            }
        }
        return nil
    }

    private static func checkColumnNames(_ names: [String], source: String, line: Int) throws {
        var seen = Set<String>()
        for (j, name) in names.enumerated() {
            if name.isEmpty { throw DataFileError(file: source, line: line, column: j + 1, .emptyColumnName) }
            if !seen.insert(name).inserted {
                throw DataFileError(file: source, line: line, column: j + 1, .duplicateColumn(name))
            }
        }
    }

    private static func firstInvalidUTF8Offset(_ data: Data) -> Int {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let b = bytes[offset]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return offset
            }
            guard offset + length <= bytes.count else { return offset }
            if String(validating: bytes[offset ..< offset + length], as: UTF8.self) == nil { return offset }
            offset += length
        }
        return offset
    }
}

/// Splits CSV text into records, one at a time, following RFC 4180 and
/// counting lines, so that every record and every quoting error has a
/// line and a (field) column.
struct CSVRecordReader {
    /// One record as written: its fields and the line it starts on.
    struct Record {
        var fields: [String]
        var line: Int
        /// A line with nothing on it but spaces (one empty field).
        var isBlank: Bool { fields.count == 1 && fields[0].isEmpty }
    }

    private var scalars: String.UnicodeScalarView.Iterator
    private var pushedBack: Unicode.Scalar?
    private let delimiter: Unicode.Scalar
    private let source: String
    /// The line the reader is on (1-based).
    private(set) var line = 1

    init(text: String, delimiter: Unicode.Scalar, source: String) {
        scalars = text.unicodeScalars.makeIterator()
        self.delimiter = delimiter
        self.source = source
    }

    /// The next record, or `nil` at the end of the text.
    /// - Throws: ``DataFileError`` for a quoted field that never closes
    ///   (at the opening quote) or that is followed by other text.
    mutating func next() throws -> Record? {
        var c = read()
        guard c != nil else { return nil }
        let start = line
        var fields: [String] = []
        while true {
            while let s = c, isBlank(s) { c = read() }
            var field = String.UnicodeScalarView()
            if c == "\"" {
                let openLine = line, column = fields.count + 1
                while true {
                    guard let s = read() else {
                        throw DataFileError(file: source, line: openLine, column: column, .unterminatedQuote)
                    }
                    if s == "\"" {
                        c = read()
                        if c == "\"" { field.append("\""); continue }
                        break
                    }
                    field.append(s)
                    if s == "\n" || s == "\r" {
                        if s == "\r", let after = read() {
                            if after == "\n" { field.append(after) } else { pushedBack = after }
                        }
                        line += 1
                    }
                }
                while let s = c, isBlank(s) { c = read() }
                if let s = c, s != delimiter && s != "\n" && s != "\r" {
                    var rest = String.UnicodeScalarView()
                    while let r = c, r != delimiter && r != "\n" && r != "\r" { rest.append(r); c = read() }
                    throw DataFileError(file: source, line: line, column: column,
                                        .textAfterClosingQuote(String(rest), quoteLine: openLine))
                }
            } else {
                while let s = c, s != delimiter && s != "\n" && s != "\r" { field.append(s); c = read() }
                while let last = field.last, isBlank(last) { field.removeLast() }
            }
            fields.append(String(field))
            guard let end = c else { return Record(fields: fields, line: start) }
            if end == delimiter {
                c = read()
                continue
            }
            if end == "\r", let after = read(), after != "\n" { pushedBack = after }
            line += 1
            return Record(fields: fields, line: start)
        }
    }

    /// Spaces and tabs (unless the tab is the delimiter) around a field are trimmed.
    private func isBlank(_ s: Unicode.Scalar) -> Bool {
        s != delimiter && (s == "\t" || s.properties.generalCategory == .spaceSeparator)
    }

    private mutating func read() -> Unicode.Scalar? {
        if let s = pushedBack {
            pushedBack = nil
            return s
        }
        return scalars.next()
    }
}
