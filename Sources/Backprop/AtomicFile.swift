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

/// Writes files so that a reader (or a crash) never sees a half-written one.
///
/// The bytes go to a new temporary file in the same directory, which is
/// flushed to disk (`fsync`) and then renamed over the destination
/// (`rename(2)` is atomic within a file system); the directory is synced
/// too, so the rename itself survives a power cut. Until the rename the old
/// file, if any, stays intact; if anything fails the temporary file is
/// removed. A process killed mid-write can leave only a stray
/// `.NAME.PID.N.tmp` file beside the destination, never a damaged
/// destination.
public enum AtomicFile {
    /// Replaces (or creates) `url` with `data`, atomically.
    /// - Throws: ``FileWriteError`` when the directory does not exist or any
    ///   step fails; the destination is then unchanged.
    public static func write(_ data: Data, to url: URL) throws {
        let path = url.path, name = url.relativePath
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw FileWriteError(file: name, reason: "no such directory: \(directory)")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(nextSerial()).tmp").path

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(file: name, reason: lastError()) }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileWriteError(file: name, reason: lastError())
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw FileWriteError(file: name, reason: lastError()) }
        closed = true
        guard close(fd) == 0 else { throw FileWriteError(file: name, reason: lastError()) }
        guard rename(temporary, path) == 0 else { throw FileWriteError(file: name, reason: lastError()) }
        renamed = true
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// Writes UTF-8 text atomically (see ``write(_:to:)``).
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    private static let serial = SerialCounter()
    private static func nextSerial() -> Int { serial.next() }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// A thread-safe counter, so that concurrent writes in one process never
/// pick the same temporary name.
private final class SerialCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// `write(2)` (a free function, so that the name is not shadowed by `AtomicFile.write`).
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
