/// The class names of a classification model and their indices.
///
/// Index `i` is the network's class `i`: its `i`-th output unit (or, for a
/// single sigmoid output, 0 for the first name and 1 for the second).
public struct ClassLabels: Sendable, Hashable {
    /// The names, in index order.
    public let names: [String]

    /// Classes with the given names, in that order.
    /// - Throws: ``BackpropError/invalidConfiguration(_:)`` for fewer than two
    ///   names, an empty name, or a repeated name.
    public init(names: [String]) throws {
        guard names.count >= 2 else {
            throw BackpropError.invalidConfiguration("a classifier needs at least 2 classes, got \(names.count)")
        }
        var seen = Set<String>()
        for name in names {
            guard !name.isEmpty else { throw BackpropError.invalidConfiguration("empty class name") }
            guard seen.insert(name).inserted else {
                throw BackpropError.invalidConfiguration("class \(quoted(name)) is listed twice")
            }
        }
        self.names = names
    }

    /// The classes found in a label column, sorted: numerically when every
    /// label is an integer (so "2" comes before "10"), otherwise by text.
    /// - Throws: when fewer than two distinct labels occur.
    public init(fitting labels: [String]) throws {
        let distinct = Array(Set(labels))
        let integers = distinct.compactMap { Int($0) }
        let sorted: [String]
        if integers.count == distinct.count {
            sorted = distinct.sorted { (Int($0)!, $0) < (Int($1)!, $1) }
        } else {
            sorted = distinct.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        }
        try self.init(names: sorted)
    }

    /// Number of classes.
    public var count: Int { names.count }

    /// The index of a class name, or `nil` if the name is not a class.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The name of class `index`.
    public subscript(index: Int) -> String { names[index] }
}
