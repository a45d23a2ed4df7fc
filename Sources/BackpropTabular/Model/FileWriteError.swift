import BackpropCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file could not be written.
public struct FileWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path that was being written.
    public var file: String
    /// What the system said.
    public var reason: String

    /// `file: cannot write: reason`.
    public var description: String { "\(file): cannot write: \(reason)" }
}
