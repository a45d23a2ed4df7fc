/// Counts of (true class, predicted class) pairs.
public struct ConfusionMatrix: Sendable, Equatable, CustomStringConvertible {
    /// The class names, in index order.
    public let classes: [String]
    /// `counts[t][p]`: rows whose true class is `t` and predicted class `p`.
    public let counts: [[Int]]

    /// Tallies predictions against the truth.
    /// - Throws: ``BackpropError`` when the arrays differ in length or hold
    ///   an index outside `classes`, or when the k × k counts do not fit in
    ///   memory (``MemoryBudget/system``).
    public init(truth: [Int], predicted: [Int], classes: [String]) throws {
        guard truth.count == predicted.count else {
            throw BackpropError.sampleCountMismatch(inputs: predicted.count, targets: truth.count)
        }
        // k × k counts, each row an array of its own (its header: 8 more words)
        let k = classes.count
        try MemoryBudget.system.require(
            MemoryBudget.bytes(count: MemoryBudget.bytes(count: k, size: k + 8), size: MemoryLayout<Int>.stride),
            for: "a confusion matrix of \(k) classes")
        var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (i, (t, p)) in zip(truth, predicted).enumerated() {
            for label in [t, p] where label < 0 || label >= classes.count {
                throw BackpropError.labelOutOfRange(index: i, label: label, classes: classes.count)
            }
            counts[t][p] += 1
        }
        self.classes = classes
        self.counts = counts
    }

    /// Number of rows counted.
    public var total: Int { counts.joined().reduce(0, +) }
    /// Number of rows on the diagonal.
    public var correct: Int { classes.indices.reduce(0) { $0 + counts[$1][$1] } }
    /// `correct / total` (0 when empty).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// The most classes that ``description`` shows as a full table; with
    /// more, it is ``summary(showing:)`` with this many lines per part.
    public static let tableClassLimit = 20

    /// The full ``table`` for at most ``tableClassLimit`` classes, otherwise
    /// the bounded ``summary(showing:)``, so that printing a matrix of
    /// thousands of classes stays a few dozen lines.
    public var description: String {
        classes.count <= Self.tableClassLimit ? table : summary(showing: Self.tableClassLimit)
    }

    /// A text table: one row per true class, one column per predicted
    /// class (`k + 1` lines of `k + 1` cells; see ``description`` for a
    /// bounded form).
    public var table: String {
        let corner = "true \\ predicted"
        let firstWidth = ([corner] + classes).map(\.count).max()!
        let widths = classes.indices.map { j in
            Swift.max(classes[j].count, counts.map { String($0[j]).count }.max() ?? 1)
        }
        var lines = [pad(corner, firstWidth, left: true) + "  "
                     + classes.indices.map { pad(classes[$0], widths[$0]) }.joined(separator: "  ")]
        for (t, row) in counts.enumerated() {
            lines.append(pad(classes[t], firstWidth, left: true) + "  "
                         + row.indices.map { pad(String(row[$0]), widths[$0]) }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// A summary in at most `2 × limit + 5` lines: the per-class results
    /// (rows, correct, accuracy, the most frequent wrong prediction) of the
    /// `limit` true classes with the most rows, then the `limit` most
    /// frequent confusions (true → predicted), each part saying how much
    /// it leaves out. Ties go to the lower class index.
    public func summary(showing limit: Int) -> String {
        let limit = Swift.max(limit, 1)
        let rows = counts.map { $0.reduce(0, +) }
        let byRows = classes.indices.sorted { (rows[$1], $0) < (rows[$0], $1) }
        let shown = byRows.prefix(limit)
        var lines = ["\(classes.count) classes, too many for a \(classes.count) × \(classes.count) table; "
                     + "the \(shown.count) classes with the most rows:"]
        var table = [["class", "rows", "correct", "accuracy", "most often predicted instead"]]
        for t in shown {
            let wrong = classes.indices.filter { $0 != t && counts[t][$0] > 0 }
                .max { (counts[t][$0], $1) < (counts[t][$1], $0) }
            table.append([classes[t], String(rows[t]), String(counts[t][t]), percent(counts[t][t], of: rows[t]),
                          wrong.map { "\(classes[$0]) (\(counts[t][$0]))" } ?? "-"])
        }
        lines += aligned(table, leftColumns: [0, 4])
        if byRows.count > shown.count {
            let rest = byRows.dropFirst(shown.count)
            let restRows = rest.reduce(0) { $0 + rows[$1] }
            lines.append("… \(rest.count) more \(rest.count == 1 ? "class" : "classes") with \(restRows) \(restRows == 1 ? "row" : "rows")")
        }
        var confusions: [(count: Int, truth: Int, predicted: Int)] = []
        for t in classes.indices {
            for p in classes.indices where p != t && counts[t][p] > 0 { confusions.append((counts[t][p], t, p)) }
        }
        confusions.sort { ($1.count, $0.truth, $0.predicted) < ($0.count, $1.truth, $1.predicted) }
        lines.append("the \(Swift.min(limit, confusions.count)) most frequent confusions of \(confusions.count):")
        lines += aligned([["true → predicted", "rows"]]
                         + confusions.prefix(limit).map { ["\(classes[$0.truth]) → \(classes[$0.predicted])", String($0.count)] },
                         leftColumns: [0])
        return lines.joined(separator: "\n")
    }

    private func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "-" }
        let tenths = (1000 * part + whole / 2) / whole
        return "\(tenths / 10).\(tenths % 10)%"
    }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: Swift.max(0, width - s.count))
        return left ? s + fill : fill + s
    }

    /// Rows of cells as lines with aligned columns (numbers to the right).
    private func aligned(_ rows: [[String]], leftColumns: Set<Int>) -> [String] {
        let widths = rows[0].indices.map { j in rows.map { $0[j].count }.max()! }
        return rows.map { row in
            var line = row.indices.map { pad(row[$0], widths[$0], left: leftColumns.contains($0)) }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
