import BackpropCore
/// A model file that cannot be loaded, and where the problem is.
///
/// `description` is one line: `model.json:12:5: …` for problems in the
/// JSON text itself (syntax, truncation), `model.json: field
/// layers[1].bias: …` for a value that is there but wrong.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Equatable {
        /// No file at the path.
        case notFound
        /// The file exists but cannot be read.
        case unreadable(String)
        /// The file is empty.
        case empty
        /// The text is not valid JSON.
        case syntax(String)
        /// The JSON ends early: the file was cut short.
        case truncated
        /// Valid JSON, but not a Backprop model (no or another `"format"`).
        case notAModelFile(String)
        /// A format version this build cannot read.
        case unsupportedVersion(Int)
        /// A required field is absent.
        case missingField
        /// A field that the format does not have (a misspelling, or a newer file).
        case unknownField
        /// A field of the wrong JSON type.
        case wrongType(expected: String)
        /// A field whose value is not allowed.
        case invalidValue(String)
        /// A number that is NaN or infinite (or too large for a double).
        case nonFinite
        /// A list with the wrong number of entries.
        case shapeMismatch(expected: String, got: String)
    }

    /// The file, as given.
    public var file: String
    /// 1-based line in the file, for problems in the JSON text.
    public var line: Int?
    /// 1-based column (in bytes) in that line.
    public var column: Int?
    /// The JSON path of the field, e.g. `layers[1].weights[3][0]`.
    public var field: String?
    /// What is wrong.
    public var kind: Kind

    /// An error in `file`, at a text position or a field.
    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, _ kind: Kind) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.kind = kind
    }

    /// One line: location, then the message.
    public var description: String {
        var location = fileLocation(file, line: line, column: column)
        if let field { location += ": field \(field)" }
        return "\(location): \(message)"
    }

    /// The message without the location.
    public var message: String {
        switch kind {
        case .notFound: return "no such model file"
        case let .unreadable(reason): return "cannot read the model file: \(reason)"
        case .empty: return "the model file is empty"
        case let .syntax(reason): return "corrupt model file, not valid JSON: \(reason)"
        case .truncated: return "truncated model file: the JSON ends early"
        case let .notAModelFile(reason): return "not a backprop model file: \(reason)"
        case let .unsupportedVersion(version):
            return "unsupported model format version \(version): this backprop reads version \(ModelFile.version)"
        case .missingField: return "missing"
        case .unknownField: return "unknown field: the format has no such field"
        case let .wrongType(expected): return "wrong type: expected \(expected)"
        case let .invalidValue(reason): return reason
        case .nonFinite: return "not a finite number"
        case let .shapeMismatch(expected, got): return "expected \(expected), got \(got)"
        }
    }
}
