import BackpropCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader (or a crash) never sees a half-written one.
///
/// The bytes go to a new temporary file in the same directory, which is
/// flushed to disk (`fsync`) and then renamed over the destination
/// (`rename(2)` is atomic within a file system); the directory is synced
/// too, so the rename itself survives a power cut. Until the rename the old
/// file, if any, stays intact; if anything fails the temporary file is
/// removed.
///
/// What may be replaced:
/// - a regular file, or a new name in an existing directory;
/// - a symbolic link is followed (through up to 40 links): the file it
///   points to is replaced, atomically, and the link stays a link;
/// - anything else — a directory, a device, a FIFO, a socket — is refused
///   with a ``FileWriteError``, so that writing a model can never destroy
///   `/dev/null` or block on a named pipe;
/// - a file that is read-only to this process is refused too (renaming over
///   it would bypass its permissions). A file with other hard links is
///   replaced under this name only: the other names keep the old contents.
///
/// A process killed mid-write can leave only a stray `.NAME.PID.N.tmp`
/// file beside the destination, never a damaged destination; the next
/// write to the same destination removes the strays whose process `PID` no
/// longer runs. ``removeTemporaryFilesInProgress()`` removes the temporary
/// files of this process's unfinished writes, for a process that must exit
/// at once (a second Ctrl-C).
package enum AtomicFile {
    /// Replaces (or creates) `url` with `data`, atomically.
    /// - Throws: ``FileWriteError`` when the directory does not exist, the
    ///   destination is not a regular file (after following links) or is
    ///   read-only, or any step fails; the destination is then unchanged.
    package static func write(_ data: Data, to url: URL) throws {
        let name = url.relativePath
        let path = try destination(of: url)
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        removeStaleTemporaryFiles(of: base, in: directory)
        let temporary = (directory as NSString).appendingPathComponent(".\(base).\(getpid()).\(nextSerial()).tmp")

        inProgress.insert(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            inProgress.remove(temporary)
            throw FileWriteError(file: name, reason: lastError())
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
            inProgress.remove(temporary)
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
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// Writes UTF-8 text atomically (see ``write(_:to:)``).
    package static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Checks, without changing anything, that ``write(_:to:)`` could write
    /// `url` now: its directory exists and takes new files (a file is
    /// created there and removed), and the destination is a regular file
    /// this process may write, or does not exist yet. Call it before long
    /// work whose result goes there.
    /// - Throws: ``FileWriteError`` saying why not.
    package static func checkWritable(_ url: URL) throws {
        let path = try destination(of: url)
        let directory = (path as NSString).deletingLastPathComponent
        let probe = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).\(nextSerial()).tmp")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(file: url.relativePath, reason: lastError()) }
        close(fd)
        unlink(probe)
    }

    /// Removes the temporary files of this process's writes in progress
    /// (each write removes its own when it fails or is interrupted by an
    /// error; this is for a process about to exit without unwinding).
    package static func removeTemporaryFilesInProgress() {
        for path in inProgress.all() { unlink(path) }
    }

    /// The path the bytes of `url` must go to: `url` itself, or the file a
    /// chain of symbolic links ends at.
    static func destination(of url: URL) throws -> String {
        let name = url.relativePath
        func fail(_ reason: String) -> FileWriteError { FileWriteError(file: name, reason: reason) }
        var path = url.path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(path, &info) == 0 else {
                guard errno == ENOENT else { throw fail(lastError()) }
                let directory = (path as NSString).deletingLastPathComponent
                var dirInfo = stat()
                guard stat(directory.isEmpty ? "." : directory, &dirInfo) == 0,
                      dirInfo.st_mode & S_IFMT == S_IFDIR else {
                    throw fail("no such directory: \(directory)")
                }
                return path
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                guard access(path, W_OK) == 0 else { throw fail("the file is read-only (\(lastError()))") }
                return path
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let length = readlink(path, &buffer, buffer.count - 1)
                guard length >= 0 else { throw fail(lastError()) }
                let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                path = target.hasPrefix("/") ? target
                    : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
            case S_IFDIR: throw fail("it is a directory, not a regular file")
            case S_IFIFO: throw fail("it is a FIFO (named pipe), not a regular file; refusing to replace it")
            case S_IFSOCK: throw fail("it is a socket, not a regular file; refusing to replace it")
            case S_IFCHR, S_IFBLK: throw fail("it is a device, not a regular file; refusing to replace it")
            default: throw fail("it is not a regular file; refusing to replace it")
            }
        }
        throw fail("too many levels of symbolic links")
    }

    /// Removes `.BASE.PID.N.tmp` files in `directory` left by processes
    /// that no longer run (killed while writing BASE).
    private static func removeStaleTemporaryFiles(of base: String, in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let prefix = ".\(base)."
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
            guard middle.count == 2, let pid = Int32(middle[0]), pid > 0, UInt64(middle[1]) != nil else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink((directory as NSString).appendingPathComponent(name))
            }
        }
    }

    private static let serial = SerialCounter()
    private static func nextSerial() -> Int { serial.next() }
    private static let inProgress = PathSet()

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// The temporary files of writes in progress, shared between threads.
private final class PathSet: @unchecked Sendable {
    // `paths` is only read or written with `lock` held (hence @unchecked).
    private var paths = Set<String>()
    private let lock = NSLock()
    func insert(_ path: String) { lock.lock(); paths.insert(path); lock.unlock() }
    func remove(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }
    func all() -> [String] { lock.lock(); defer { lock.unlock() }; return Array(paths) }
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
