/// Shows training progress: a live line rewritten in place on a terminal,
/// plain lines every few epochs otherwise (logs, pipes, CI), or nothing.
final class ProgressReporter {
    /// How progress is shown.
    enum Mode: Equatable {
        /// One line, redrawn (at most ~20 times a second), with a bar and ETA.
        case live
        /// A line every `every` epochs, and for the first and last epoch.
        case plain(every: Int)
        /// Nothing.
        case quiet
    }

    let mode: Mode
    let totalEpochs: Int
    private var lastDraw: ContinuousClock.Instant?
    private var drewLive = false
    private let clock = ContinuousClock()

    init(mode: Mode, totalEpochs: Int) {
        self.mode = mode
        self.totalEpochs = totalEpochs
    }

    /// The mode for these options: `--quiet` wins; then a terminal gets the
    /// live line; anything else plain lines (every `every` epochs, default
    /// a tenth of the run).
    static func mode(quiet: Bool, every: Int?, epochs: Int) -> Mode {
        if quiet { return .quiet }
        if Console.stdoutIsTerminal && every == nil { return .live }
        return .plain(every: every ?? Swift.max(1, epochs / 10))
    }

    /// Reports a finished epoch.
    func update(epoch: Int, loss: Double, metric: String?, elapsed: Duration) {
        switch mode {
        case .quiet:
            return
        case let .plain(every):
            guard epoch == 1 || epoch % every == 0 || epoch == totalEpochs else { return }
            var line = "epoch \(pad(epoch))/\(totalEpochs)  loss \(Format.loss(loss))"
            if let metric { line += "  \(metric)" }
            line += "  \(Format.duration(elapsed)) elapsed"
            if epoch < totalEpochs { line += ", ETA \(Format.duration(eta(epoch: epoch, elapsed: elapsed)))" }
            Console.out(line)
        case .live:
            let now = clock.now
            if let lastDraw, epoch < totalEpochs, now - lastDraw < .milliseconds(50) { return }
            lastDraw = now
            let width = 16
            let filled = Int((Double(epoch) / Double(totalEpochs) * Double(width)).rounded(.down))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var line = "epoch \(pad(epoch))/\(totalEpochs) \(bar) loss \(Format.loss(loss))"
            if let metric { line += "  \(metric)" }
            line += "  \(Format.duration(elapsed))"
            if epoch < totalEpochs { line += ", ETA \(Format.duration(eta(epoch: epoch, elapsed: elapsed)))" }
            Console.raw("\r\u{1B}[2K" + line)
            drewLive = true
        }
    }

    /// Ends the live line (so that what follows starts on a new line).
    func finish() {
        if drewLive { Console.raw("\n"); drewLive = false }
    }

    private func pad(_ epoch: Int) -> String {
        let s = String(epoch), width = String(totalEpochs).count
        return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
    }

    private func eta(epoch: Int, elapsed: Duration) -> Duration {
        elapsed / Double(epoch) * Double(totalEpochs - epoch)
    }
}
