import Backprop
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT, SIGTERM and SIGHUP into a ``TrainingInterruption`` while a
/// command trains, so that a Ctrl-C or a `kill` finishes the step in
/// progress and saves a checkpoint instead of losing the run.
///
/// The first signal requests the interruption and says so on standard
/// error; a second SIGINT (or SIGTERM) exits at once with 128 + its number,
/// after removing the temporary files of writes in progress, so nothing
/// half-written is left behind. The signals are caught through dispatch
/// sources, not a handler: the process's own code runs on a queue, where it
/// may lock and print.
final class SignalInterruption: @unchecked Sendable {
    /// The interruption the signals request.
    let interruption = TrainingInterruption()
    // `first` is only read or written with `lock` held (hence @unchecked).
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [any DispatchSourceSignal] = []
    private static let caught: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Starts catching the signals (until ``stop()``).
    init() {
        for number in Self.caught {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var signalNumber: Int32? { lock.lock(); defer { lock.unlock() }; return first }

    /// The exit status for an interrupted run: 128 + the signal's number
    /// (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    var exitCode: Int32 { 128 + (signalNumber ?? SIGINT) }

    /// The signal's name, for messages.
    var signalName: String {
        switch signalNumber {
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "SIGINT"
        }
    }

    /// Gives the signals their default actions back.
    func stop() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in Self.caught { signal(number, SIG_DFL) }
    }

    private func received(_ number: Int32) {
        lock.lock()
        let earlier = first
        if earlier == nil { first = number }
        lock.unlock()
        if earlier == nil {
            interruption.request()
            Console.err("\nbackprop: \(number == SIGINT ? "interrupted" : "received \(signalName)"): finishing the current step, then saving a checkpoint"
                        + (number == SIGINT ? " (Ctrl-C again to stop at once, without saving)" : ""))
        } else if number != SIGHUP {
            AtomicFile.removeTemporaryFilesInProgress()
            Console.err("backprop: stopped at once; nothing was saved")
            _exit(128 + number)
        }
    }
}
