import CSV
import Foundation

/// A CSV file as text cells: a header row of column names, then records.
///
/// Parsing is done by the CSV.swift package (`CSVReader`: RFC 4180 quoting,
/// `,` separators, LF or CRLF line ends); this type adds what a data loader
/// needs on top: the header, the line on which each record starts (quoted
/// fields may span lines), blank lines skipped, surrounding spaces trimmed,
/// and errors that name the file, line and column.
///
/// ```swift
/// let table = try CSVTable(contentsOf: URL(fileURLWithPath: "train.csv"))
/// table.header        // ["x1", "x2", "label"]
/// table.records[0]    // ["0.5", "-1.25", "red"]
/// table.lines[0]      // 2: the first record is on line 2, after the header
/// ```
public struct CSVTable: Sendable, Equatable {
    /// The file name used in error messages.
    public var source: String
    /// The column names, from the first non-blank line.
    public var header: [String]
    /// The data records; each has exactly `header.count` fields.
    public var records: [[String]]
    /// The 1-based line on which each record starts (parallel to `records`).
    public var lines: [Int]

    /// Reads and parses a CSV file. Errors name it as `url.relativePath`
    /// (the path as given, for a URL made from a relative path).
    /// - Throws: ``DataFileError`` when the file is missing, unreadable, not
    ///   UTF-8, empty, has no data rows, a bad header, or a record whose
    ///   field count differs from the header's.
    public init(contentsOf url: URL) throws {
        let path = url.path, name = url.relativePath   // messages name the file as it was given
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataFileError(file: name, .notFound)
        }
        guard !isDirectory.boolValue else { throw DataFileError(file: name, .unreadable("it is a directory")) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(file: name, .unreadable("permission denied or I/O error"))
        }
        try self.init(data: data, source: name)
    }

    /// Parses CSV bytes (UTF-8, an optional byte-order mark is skipped).
    /// - Parameter source: the name used in error messages.
    public init(data: Data, source: String) throws {
        guard let text = String(validating: data, as: UTF8.self) else {
            let offset = Self.firstInvalidUTF8Offset(data)
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw DataFileError(file: source, line: line, .unreadable("not UTF-8 text (invalid byte at offset \(offset))"))
        }
        try self.init(string: text, source: source)
    }

    /// Parses CSV text.
    /// - Parameter source: the name used in error messages.
    public init(string: String, source: String) throws {
        var text = string
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: true)
        } catch {
            throw DataFileError(file: source, .unreadable("\(error)"))
        }

        var header: [String]?
        var records: [[String]] = []
        var lines: [Int] = []
        var line = 1
        while let record = reader.next() {
            let start = line
            line += 1 + record.reduce(0) { $0 + Self.lineBreaks(in: $1) }
            if record.count == 1 && record[0].isEmpty { continue }   // a blank line
            guard let columns = header else {
                for (j, name) in record.enumerated() {
                    if name.isEmpty { throw DataFileError(file: source, line: start, column: j + 1, .emptyColumnName) }
                    if record[..<j].contains(name) {
                        throw DataFileError(file: source, line: start, column: j + 1, .duplicateColumn(name))
                    }
                }
                header = record
                continue
            }
            guard record.count == columns.count else {
                throw DataFileError(file: source, line: start,
                                    column: Swift.min(record.count, columns.count) + 1,
                                    .raggedRow(expected: columns.count, got: record.count))
            }
            records.append(record)
            lines.append(start)
        }
        if let error = reader.error { throw DataFileError(file: source, .unreadable("\(error)")) }
        guard let header else { throw DataFileError(file: source, .empty) }
        guard !records.isEmpty else { throw DataFileError(file: source, line: line - 1, .noRows) }
        self.source = source
        self.header = header
        self.records = records
        self.lines = lines
    }

    /// A table from cells already in memory (for building data in code).
    /// - Throws: ``DataFileError`` for an empty or duplicate column name, no
    ///   records, or a record of the wrong length.
    public init(header: [String], records: [[String]], source: String = "<memory>") throws {
        for (j, name) in header.enumerated() {
            if name.isEmpty { throw DataFileError(file: source, line: 1, column: j + 1, .emptyColumnName) }
            if header[..<j].contains(name) {
                throw DataFileError(file: source, line: 1, column: j + 1, .duplicateColumn(name))
            }
        }
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
    }

    /// Number of data records.
    public var count: Int { records.count }

    /// The position of the column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The number in a cell.
    ///
    /// Accepts what Swift's `Double(_:)` accepts (decimal and exponent
    /// notation, hexadecimal floats), and rejects empty cells, anything
    /// else, and NaN or infinite values.
    /// - Throws: ``DataFileError`` naming the cell's line and column.
    public func number(record: Int, column: Int) throws -> Double {
        let cell = records[record][column]
        let name = header[column]
        guard !cell.isEmpty else {
            throw DataFileError(file: source, line: lines[record], column: column + 1, .emptyCell(column: name))
        }
        guard let value = Double(cell) else {
            throw DataFileError(file: source, line: lines[record], column: column + 1, .notANumber(cell, column: name))
        }
        guard value.isFinite else {
            throw DataFileError(file: source, line: lines[record], column: column + 1, .nonFinite(cell, column: name))
        }
        return value
    }

    /// LF, CR LF and lone CR each end a line.
    private static func lineBreaks(in field: String) -> Int {
        var count = 0
        var previousCR = false
        for scalar in field.unicodeScalars {
            if scalar == "\n" {
                if !previousCR { count += 1 }
                previousCR = false
            } else {
                if scalar == "\r" { count += 1 }
                previousCR = scalar == "\r"
            }
        }
        return count
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
