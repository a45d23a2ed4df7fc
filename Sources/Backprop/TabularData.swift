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

    /// Training data: the label column (`nil`: the last column) and every
    /// other column as a numeric feature.
    /// - Throws: ``DataFileError`` for a missing label column, no feature
    ///   columns, or a feature cell that is not a finite number.
    public init(table: CSVTable, labelColumn: String? = nil) throws {
        let labelIndex: Int
        if let labelColumn {
            guard let index = table.columnIndex(labelColumn) else {
                throw DataFileError(file: table.source, line: 1, .missingColumn(labelColumn, available: table.header))
            }
            labelIndex = index
        } else {
            labelIndex = table.header.count - 1
        }
        let featureColumns = table.header.indices.filter { $0 != labelIndex }
        guard !featureColumns.isEmpty else { throw DataFileError(file: table.source, line: 1, .noFeatures) }
        try self.init(table: table, featureColumns: featureColumns, labelIndex: labelIndex)
    }

    /// Data for a trained model: the columns named `featureNames`, in that
    /// order wherever they are in the file, and the label column if present.
    /// - Parameters:
    ///   - requireLabels: whether a missing label column is an error
    ///     (evaluation) or allowed (prediction).
    /// - Throws: ``DataFileError`` for a missing feature (or required label)
    ///   column, a column the model does not know, or a feature cell that is
    ///   not a finite number.
    public init(table: CSVTable, featureNames: [String], labelColumn: String, requireLabels: Bool) throws {
        var featureColumns: [Int] = []
        for name in featureNames {
            guard let index = table.columnIndex(name) else {
                throw DataFileError(file: table.source, line: 1, .missingColumn(name, available: table.header))
            }
            featureColumns.append(index)
        }
        let labelIndex = table.columnIndex(labelColumn)
        if requireLabels && labelIndex == nil {
            throw DataFileError(file: table.source, line: 1, .missingColumn(labelColumn, available: table.header))
        }
        for (j, name) in table.header.enumerated() where !featureColumns.contains(j) && j != labelIndex {
            throw DataFileError(file: table.source, line: 1, column: j + 1, .unexpectedColumn(name))
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
        features = try Matrix(rows: table.count, cols: featureColumns.count, elements: x)
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

    /// The classes in the label column (see ``ClassLabels/init(fitting:)``).
    /// - Throws: ``DataFileError`` when there is no label column or fewer
    ///   than two distinct labels.
    public func fitClasses() throws -> ClassLabels {
        let labels = try requireLabels()
        if let empty = labels.firstIndex(of: "") {
            throw DataFileError(file: source, line: lines[empty], column: labelColumnNumber,
                                .emptyCell(column: labelName))
        }
        let distinct = Set(labels)
        guard distinct.count >= 2 else {
            throw DataFileError(file: source, line: lines[0], column: labelColumnNumber,
                                .tooFewClasses(column: labelName, found: Array(distinct)))
        }
        return try ClassLabels(fitting: labels)
    }

    /// The labels as numbers (regression targets).
    /// - Throws: ``DataFileError`` at the first label that is not a finite number.
    public func numericLabels() throws -> [Double] {
        let labels = try requireLabels()
        return try labels.enumerated().map { i, cell in
            let at = { (kind: DataFileError.Kind) in
                DataFileError(file: source, line: lines[i], column: labelColumnNumber, kind)
            }
            guard !cell.isEmpty else { throw at(.emptyCell(column: labelName)) }
            guard let value = Double(cell) else { throw at(.notANumber(cell, column: labelName)) }
            guard value.isFinite else { throw at(.nonFinite(cell, column: labelName)) }
            return value
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

    private func requireLabels() throws -> [String] {
        guard let labels else {
            throw DataFileError(file: source, line: 1, .missingColumn(labelName, available: featureNames))
        }
        return labels
    }
}
