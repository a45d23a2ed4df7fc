import BackpropCore
/// How a cell's text is read as a number: the one rule that feature
/// cells, regression labels, task inference and numeric class labels share.
///
/// Swift's `Double(_:)` reads its argument as a C string, so it stops at a
/// NUL character and reads `"2\0junk"` as 2; a control character in a cell
/// is therefore refused before `Double(_:)` sees it. Spaces and tabs around
/// a field are trimmed by the CSV reader, so every control character left
/// in a cell (U+0000–U+001F, U+007F–U+009F) is corruption, never padding.
enum CellNumber {
    /// Why a cell is not a finite number.
    struct Failure: Error {
        var kind: DataFileError.Kind
    }

    /// The cell as a finite number, or what is wrong with it.
    static func parse(_ cell: String, column: String) -> Result<Double, Failure> {
        guard !cell.isEmpty else { return .failure(Failure(kind: .emptyCell(column: column))) }
        guard firstControlCharacter(in: cell) == nil else {
            return .failure(Failure(kind: .controlCharacter(cell, column: column)))
        }
        guard let value = Double(cell) else { return .failure(Failure(kind: .notANumber(cell, column: column))) }
        guard value.isFinite else { return .failure(Failure(kind: .nonFinite(cell, column: column))) }
        return .success(value)
    }

    /// The cell as a finite number, or `nil`.
    static func value(_ cell: String) -> Double? {
        try? parse(cell, column: "").get()
    }

    /// The first control character (Unicode general category Cc) in `text`.
    static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { $0.properties.generalCategory == .control }
    }
}

/// What a label means for telling classes apart: a number by its exact
/// value, anything else by its text.
///
/// `01`, `1`, `1.0`, `+1`, `10e-1` and `1e0` are one value. Decimal
/// spellings compare exactly, digit for digit (so two 20-digit identifiers
/// that round to the same `Double` stay apart); hexadecimal floats compare
/// by the shortest decimal that reads back as the same `Double`. `-0` is 0.
/// Text that is not a finite number (`nan`, `1e999`, `a1`) compares as
/// written.
enum LabelValue: Hashable, Sendable {
    /// `±0.digits × 10^exponent`, `digits` without leading or trailing
    /// zeros; zero is `(false, "", 0)`.
    case number(negative: Bool, digits: String, exponent: Int)
    /// Text that is not a finite number.
    case text(String)

    init(_ label: String) {
        guard let value = CellNumber.value(label) else {
            self = .text(label)
            return
        }
        self = Self.decimal(label) ?? Self.decimal(value.description) ?? .text(label)
    }

    /// Whether the label is a number.
    var isNumber: Bool {
        if case .number = self { return true }
        return false
    }

    /// The canonical form of `[+-]digits[.digits][(e|E)[+-]digits]`, or
    /// `nil` for any other spelling.
    private static func decimal(_ text: String) -> LabelValue? {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        let isDigit = { (k: Int) in k < scalars.count && scalars[k] >= "0" && scalars[k] <= "9" }
        let negative = i < scalars.count && scalars[i] == "-"
        if i < scalars.count && (scalars[i] == "+" || scalars[i] == "-") { i += 1 }
        var digits: [Unicode.Scalar] = []
        while isDigit(i) { digits.append(scalars[i]); i += 1 }
        // value = 0.digits × 10^point
        var point = digits.count
        if i < scalars.count && scalars[i] == "." {
            i += 1
            while isDigit(i) { digits.append(scalars[i]); i += 1 }
        }
        guard !digits.isEmpty else { return nil }
        if i < scalars.count && (scalars[i] == "e" || scalars[i] == "E") {
            guard let exponent = Int(String(String.UnicodeScalarView(scalars[(i + 1)...]))) else { return nil }
            let (sum, overflow) = point.addingReportingOverflow(exponent)
            guard !overflow else { return nil }
            point = sum
            i = scalars.count
        }
        guard i == scalars.count else { return nil }
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        guard !digits.isEmpty else { return .number(negative: false, digits: "", exponent: 0) }
        return .number(negative: negative, digits: String(String.UnicodeScalarView(digits)), exponent: point)
    }
}
