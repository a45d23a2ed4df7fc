import BackpropCore
/// A CSV table split into numeric feature columns and one label column.
///
/// Features must be numbers; labels stay text until a task gives them a
/// meaning: class names (``classIndices(using:)``) or values
/// (``numericLabels()``). Every error names the file, line and column.
///
/// ```swift
/// let table = try CSVTable(contentsOf: URL(fileURLWithPath: "iris.csv"))
/// let data = try TabularData(table: table)            // label: the last column
/// let classes = try ClassLabels(fitting: data.labels!)
/// let y = try data.classIndices(using: classes)
/// ```
public struct TabularData: Sendable, Equatable {
    /// The file name used in error messages.
    public var source: String
    /// The feature columns' names, in the order of `features`' columns.
    public var featureNames: [String]
    /// The label column's name.
    public var labelName: String
    /// `n × featureNames.count`, finite.
    public var features: Matrix<Double>
    /// The label column's cells, or `nil` when the file has no label column
    /// (allowed for prediction only).
    public var labels: [String]?
    /// The line of each row in the file.
    public var lines: [Int]
    /// The label column's 1-based position in the file, for messages.
    var labelColumnNumber: Int?

    /// Number of rows.
    public var count: Int { features.rows }

    /// Which column of a table holds the labels.
    public enum LabelColumn: Sendable, Hashable {
        /// The column with exactly this header name.
        case name(String)
        /// The column at a 1-based position; negative positions count from
        /// the end (`-1` is the last column).
        case position(Int)
        /// A name, or else a position: the column with exactly this header
        /// name if there is one (so a header name that is itself a number
        /// is always read as a name), otherwise, when the text is an
        /// integer, the column at that position (as in ``position(_:)``).
        case nameOrPosition(String)

        /// The last column.
        public static let last = LabelColumn.position(-1)

        /// The 0-based index of this column in `table`.
        /// - Throws: ``DataFileError`` for a name not in the header or a
        ///   position outside it.
        func index(in table: CSVTable) throws -> Int {
            let columns = table.header.count
            switch self {
            case let .name(name):
                guard let index = table.columnIndex(name) else {
                    throw DataFileError(file: table.source, line: 1, .missingColumn(name, available: table.header),
                                        note: table.delimiterNote(suspect: [name]))
                }
                return index
            case let .position(position):
                guard position != 0 && position >= -columns && position <= columns else {
                    throw DataFileError(file: table.source, line: 1, .noColumnAtPosition(position, columns: columns),
                                        note: table.delimiterNote(suspect: []))
                }
                return position > 0 ? position - 1 : columns + position
            case let .nameOrPosition(text):
                if table.columnIndex(text) == nil, let position = Int(text) {
                    return try LabelColumn.position(position).index(in: table)
                }
                return try LabelColumn.name(text).index(in: table)
            }
        }
    }

    /// Training data: the label column (`nil`: the last column) and every
    /// other column as a numeric feature.
    /// - Throws: ``DataFileError`` for a missing label column, no feature
    ///   columns, or a feature cell that is not a finite number.
    public init(table: CSVTable, labelColumn: String? = nil) throws {
        try self.init(table: table, label: labelColumn.map(LabelColumn.name) ?? .last)
    }

    /// Training data: the label column and every other column as a numeric
    /// feature.
    /// - Throws: ``DataFileError`` for a label column not in the table, no
    ///   feature columns, or a feature cell that is not a finite number.
    public init(table: CSVTable, label: LabelColumn) throws {
        let labelIndex = try label.index(in: table)
        let featureColumns = table.header.indices.filter { $0 != labelIndex }
        guard !featureColumns.isEmpty else {
            throw DataFileError(file: table.source, line: 1, .noFeatures, note: table.delimiterNote(suspect: []))
        }
        try self.init(table: table, featureColumns: featureColumns, labelIndex: labelIndex)
    }

    /// Data for a trained model: the columns named `featureNames`, in that
    /// order wherever they are in the file, and the label column if present.
    /// - Parameters:
    ///   - table: the parsed CSV file.
    ///   - featureNames: the model's feature columns, in the model's order.
    ///   - labelColumn: the name of the model's label column.
    ///   - requireLabels: whether a missing label column is an error
    ///     (evaluation) or allowed (prediction).
    /// - Throws: ``DataFileError`` for a missing feature (or required label)
    ///   column, a column the model does not know, or a feature cell that is
    ///   not a finite number.
    public init(table: CSVTable, featureNames: [String], labelColumn: String, requireLabels: Bool) throws {
        let featureColumns = try featureNames.map { try LabelColumn.name($0).index(in: table) }
        let labelIndex = requireLabels ? try LabelColumn.name(labelColumn).index(in: table) : table.columnIndex(labelColumn)
        for (j, name) in table.header.enumerated() where !featureColumns.contains(j) && j != labelIndex {
            throw DataFileError(file: table.source, line: 1, column: j + 1, .unexpectedColumn(name),
                                note: table.delimiterNote(suspect: [name]))
        }
        try self.init(table: table, featureColumns: featureColumns, labelIndex: labelIndex)
        self.labelName = labelColumn
    }

    private init(table: CSVTable, featureColumns: [Int], labelIndex: Int?) throws {
        var x = [Double]()
        x.reserveCapacity(table.count * featureColumns.count)
        for i in 0..<table.count {
            for j in featureColumns { x.append(try table.number(record: i, column: j)) }
        }
        source = table.source
        featureNames = featureColumns.map { table.header[$0] }
        labelName = labelIndex.map { table.header[$0] } ?? ""
        features = try Matrix(rows: table.count, columns: featureColumns.count, elements: x)
        labels = labelIndex.map { j in table.records.map { $0[j] } }
        lines = table.lines
        labelColumnNumber = labelIndex.map { $0 + 1 }
    }

    /// The class index of every row's label.
    /// - Throws: ``DataFileError`` when the file has no label column, or at
    ///   the first label that is not one of `classes`.
    public func classIndices(using classes: ClassLabels) throws -> [Int] {
        let labels = try requireLabels()
        return try labels.enumerated().map { i, label in
            guard let index = classes.index(of: label) else {
                throw DataFileError(file: source, line: lines[i], column: labelColumnNumber,
                                    .unknownLabel(label, column: labelName, known: classes.names))
            }
            return index
        }
    }

    /// The classes in the label column (see ``ClassLabels/init(fitting:)``:
    /// numeric labels are one class per value), checked against limits
    /// before anything is sized by the number of classes.
    ///
    /// - Parameter maximumClasses: `nil` applies the default rule: at most
    ///   ``ClassLabels/defaultMaximumClasses`` classes, and a column with more
    ///   than ``ClassLabels/classesAlwaysAccepted`` classes but fewer than
    ///   ``ClassLabels/minimumRowsPerClass`` rows per class on average is
    ///   refused as an identifier (user IDs, row numbers, names). A number
    ///   replaces both with that cap alone: the caller has looked at the
    ///   column and decided.
    /// - Throws: ``DataFileError`` when there is no label column, an empty
    ///   label or one with a control character, fewer than two distinct
    ///   labels, or more classes than the limits allow;
    ///   ``/BackpropCore/BackpropError/invalidConfiguration(_:)`` for `maximumClasses` < 2.
    public func fitClasses(maximumClasses: Int? = nil) throws -> ClassLabels {
        if let maximumClasses, maximumClasses < 2 {
            throw BackpropError.invalidConfiguration("the class limit must be at least 2, got \(maximumClasses)")
        }
        let labels = try requireLabels()
        let at = { (kind: DataFileError.Kind) in
            DataFileError(file: source, line: lines[0], column: labelColumnNumber, kind)
        }
        if let empty = labels.firstIndex(of: "") {
            throw DataFileError(file: source, line: lines[empty], column: labelColumnNumber,
                                .emptyCell(column: labelName))
        }
        let classes = ClassLabels.distinct(labels)
        guard classes.count >= 2 else {
            throw at(.tooFewClasses(column: labelName, found: classes.map(\.name)))
        }
        if maximumClasses == nil && classes.count > ClassLabels.classesAlwaysAccepted
            && classes.count * ClassLabels.minimumRowsPerClass > labels.count {
            throw at(.identifierLikeLabels(column: labelName, classes: classes.count, rows: labels.count,
                                           singletons: classes.filter { $0.count == 1 }.count))
        }
        let limit = maximumClasses ?? ClassLabels.defaultMaximumClasses
        guard classes.count <= limit else {
            throw at(.tooManyClasses(column: labelName, classes: classes.count, rows: labels.count, limit: limit))
        }
        return try ClassLabels(names: classes.map(\.name))
    }

    /// The labels as numbers (regression targets).
    /// - Throws: ``DataFileError`` at the first label that is not a finite number.
    public func numericLabels() throws -> [Double] {
        let labels = try requireLabels()
        return try labels.enumerated().map { i, cell in
            try CellNumber.parse(cell, column: labelName).mapError {
                DataFileError(file: source, line: lines[i], column: labelColumnNumber, $0.kind)
            }.get()
        }
    }

    /// The rows at `indices`, in that order.
    public func rows(at indices: [Int]) -> TabularData {
        var out = self
        out.features = features.rows(at: indices)
        out.labels = labels.map { l in indices.map { l[$0] } }
        out.lines = indices.map { lines[$0] }
        return out
    }

    /// The label cells, none of which holds a control character (a label
    /// is a class name or a number, and either would be corrupted by one).
    private func requireLabels() throws -> [String] {
        guard let labels else {
            throw DataFileError(file: source, line: 1, .missingColumn(labelName, available: featureNames))
        }
        if let i = labels.firstIndex(where: { CellNumber.firstControlCharacter(in: $0) != nil }) {
            throw DataFileError(file: source, line: lines[i], column: labelColumnNumber,
                                .controlCharacter(labels[i], column: labelName))
        }
        return labels
    }
}
