import BackpropCore
/// The class names of a classification model and their indices.
///
/// Index `i` is the network's class `i`: its `i`-th output unit (or, for a
/// single sigmoid output, 0 for the first name and 1 for the second).
///
/// Numeric labels are compared by value: `01`, `1`, `1.0` and `1e0` are the
/// same class (see ``index(of:)``); any other label is compared as text,
/// exactly (case, spaces and all).
public struct ClassLabels: Sendable, Hashable {
    /// The names, in index order.
    public let names: [String]
    /// The index of each name.
    private let indexByName: [String: Int]
    /// The index of each name's value; `nil` when two names share a value
    /// (possible only through ``init(names:)``).
    private let indexByValue: [LabelValue: Int?]

    /// More classes than this are refused by ``TabularData/fitClasses(maximumClasses:)``
    /// unless a larger limit is given.
    public static let defaultMaximumClasses = 1000

    /// A label column with more distinct labels than this, and fewer than
    /// ``minimumRowsPerClass`` rows per class on average, looks like an
    /// identifier rather than classes. Small sets of classes are always
    /// accepted, however few the rows.
    public static let classesAlwaysAccepted = 20

    /// The fewest rows per class, on average, that a label column with many
    /// classes needs before it is read as classes (see ``classesAlwaysAccepted``).
    public static let minimumRowsPerClass = 4

    /// Classes with the given names, in that order.
    ///
    /// Two names may share a numeric value (`1` and `1.0`), as in a model
    /// written before labels were compared by value: each still matches
    /// its own spelling, and neither matches another spelling of the value.
    /// - Throws: ``/BackpropCore/BackpropError/invalidConfiguration(_:)`` for fewer than two
    ///   names, an empty name, or a repeated name.
    public init(names: [String]) throws {
        guard names.count >= 2 else {
            throw BackpropError.invalidConfiguration("a classifier needs at least 2 classes, got \(names.count)")
        }
        var indexByName: [String: Int] = [:]
        var indexByValue: [LabelValue: Int?] = [:]
        for (i, name) in names.enumerated() {
            guard !name.isEmpty else { throw BackpropError.invalidConfiguration("empty class name") }
            guard indexByName.updateValue(i, forKey: name) == nil else {
                throw BackpropError.invalidConfiguration("class \(quoted(name)) is listed twice")
            }
            let value = LabelValue(name)
            indexByValue[value] = indexByValue[value] == nil ? i : .some(nil)
        }
        self.names = names
        self.indexByName = indexByName
        self.indexByValue = indexByValue
    }

    /// The classes found in a label column, one per distinct value: sorted
    /// by value when every label is a number (so "2" comes before "10"),
    /// otherwise by text (Unicode scalar order). A class whose value is
    /// spelled several ways is named by its shortest spelling (the first
    /// in text order among equally short ones), so the name does not depend
    /// on the order of the rows.
    /// - Throws: when fewer than two distinct labels occur.
    public init(fitting labels: [String]) throws {
        try self.init(names: Self.distinct(labels).map(\.name))
    }

    /// The distinct classes of `labels`, in class order, with how many rows
    /// each has.
    static func distinct(_ labels: [String]) -> [(name: String, count: Int)] {
        var groups: [LabelValue: (name: String, count: Int)] = [:]
        for label in labels {
            let value = LabelValue(label)
            if let group = groups[value] {
                let shorter = (label.unicodeScalars.count, group.name.unicodeScalars.count)
                let name = shorter.0 < shorter.1
                    || (shorter.0 == shorter.1 && label.unicodeScalars.lexicographicallyPrecedes(group.name.unicodeScalars))
                    ? label : group.name
                groups[value] = (name, group.count + 1)
            } else {
                groups[value] = (label, 1)
            }
        }
        let byText = { (a: String, b: String) in a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) }
        if groups.keys.allSatisfy(\.isNumber) {
            return groups.values.sorted { a, b in
                let x = CellNumber.value(a.name)!, y = CellNumber.value(b.name)!
                return x != y ? x < y : byText(a.name, b.name)
            }
        }
        return groups.values.sorted { byText($0.name, $1.name) }
    }

    /// Number of classes.
    public var count: Int { names.count }

    /// The index of the class a label belongs to, or `nil` if none: the
    /// class named exactly `label`, otherwise the one class whose name has
    /// the same numeric value (`1.0` finds the class `1`).
    public func index(of label: String) -> Int? {
        if let exact = indexByName[label] { return exact }
        return indexByValue[LabelValue(label)] ?? nil
    }

    /// The name of class `index`.
    public subscript(index: Int) -> String { names[index] }

    /// Classes are equal when their names are, in the same order.
    public static func == (a: ClassLabels, b: ClassLabels) -> Bool { a.names == b.names }

    /// Hashes the names.
    public func hash(into hasher: inout Hasher) { hasher.combine(names) }
}
