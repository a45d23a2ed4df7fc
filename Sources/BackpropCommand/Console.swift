import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the terminal: every line is flushed at once, so output
/// interleaves correctly and survives a kill.
enum Console {
    /// Writes a line to standard output.
    static func out(_ line: String = "") {
        write(line + "\n", to: STDOUT_FILENO)
    }

    /// Writes a line to standard error.
    static func err(_ line: String) {
        write(line + "\n", to: STDERR_FILENO)
    }

    /// Writes text to standard output without a newline (for live lines).
    static func raw(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// `write(2)` until everything is out (unbuffered: nothing is lost if
    /// the process is killed right after).
    private static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }   // a closed pipe: nothing more can be shown
            offset += n
        }
    }

    /// How to run this executable again from the current directory: its
    /// name when it was found on the `PATH`, otherwise its path (relative
    /// when it is below the current directory).
    static var invocationName: String {
        let arg0 = CommandLine.arguments.first ?? "backprop"
        guard arg0.contains("/") else { return arg0 }
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return arg0.hasPrefix(cwd) ? String(arg0.dropFirst(cwd.count)) : arg0
    }

    /// Whether standard output is a terminal that understands `\r` and ANSI
    /// erase codes.
    static var stdoutIsTerminal: Bool {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        return ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
