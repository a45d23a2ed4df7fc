// BackpropBench — the performance issue's workloads W1–W5 through the
// public Swift API, in release builds.
//
//   BackpropBench [--quick] [--only W1,W3] [--precision f64|f32] [--threads N]
//                 [--optimizer sgd|momentum|adam] [--json FILE]
//   BackpropBench --step-cost [--only W3,W4] [--precision P] [--threads N] [--rounds N] [--json FILE]
//
// Prints one line per workload (time, throughput, heap allocations per
// training step after warm-up) and, with --json, writes the same figures.
// --quick shrinks every workload (for instruction counting under callgrind,
// where only the instruction count matters, not the size).
//
// --optimizer picks the network's update rule: sgd is plain gradient
// descent (the default, `Optimizer.gradientDescent`), momentum is
// `.sgd(momentum: 0.9)`, adam is `.adam()` with PyTorch's defaults (β₁ 0.9,
// β₂ 0.999, ε 1e-8). sgd and momentum train at the workload's learning
// rate; adam at 0.001 on every workload (PyTorch's default rate).
//
// --step-cost trains W3 and W4 (f64 and f32, 1 and 2 threads, or only the
// --precision and --threads given) in one process with each of the three
// rules in turn, --rounds rounds (default 5) in a rotating order, and
// prints the best and median epoch time of each rule and the ratios
// momentum / sgd and adam / sgd.
import AllocCounter
import Backprop
import Foundation

struct Options {
    var quick = false
    var only: Set<String>? = nil
    var json: String? = nil
    var precision = "f64"
    var threads = 1
    var optimizer = "sgd"
    var stepCost = false
    var rounds = 5
    /// Whether --precision / --threads were given (--step-cost then runs only those).
    var precisionGiven = false, threadsGiven = false
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        switch a {
        case "--quick": o.quick = true
        case "--only": o.only = Set((args.next() ?? "").split(separator: ",").map(String.init))
        case "--json": o.json = args.next()
        case "--precision":
            o.precision = args.next() ?? ""
            guard ["f64", "f32"].contains(o.precision) else { fail("--precision takes f64 or f32") }
            o.precisionGiven = true
        case "--threads":
            guard let n = Int(args.next() ?? ""), n >= 1 else { fail("--threads takes a positive integer") }
            o.threads = n
            o.threadsGiven = true
        case "--optimizer":
            o.optimizer = args.next() ?? ""
            guard optimizerNames.contains(o.optimizer) else {
                fail("--optimizer takes \(optimizerNames.joined(separator: ", "))")
            }
        case "--step-cost": o.stepCost = true
        case "--rounds":
            guard let n = Int(args.next() ?? ""), n >= 1 else { fail("--rounds takes a positive integer") }
            o.rounds = n
        default:
            fail("unknown option \(a)")
        }
    }
    return o
}

/// Deterministic synthetic data: inputs N(0, 1) from a small LCG-free
/// SplitMix64 so that every run and every peer uses the same numbers.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
}

func synthetic(samples: Int, features: Int, classes: Int, seed: UInt64) throws -> Dataset<Double> {
    var rng = SplitMix(state: seed)
    var x = [Double](repeating: 0, count: samples * features)
    var labels = [Int](repeating: 0, count: samples)
    for i in 0..<samples {
        labels[i] = Int(rng.next() % UInt64(classes))
        for j in 0..<features {
            // Class-dependent mean so that the task is learnable.
            x[i * features + j] = rng.uniform() - 0.5 + (j % classes == labels[i] ? 0.5 : 0)
        }
    }
    return Dataset(inputs: try Matrix(rows: samples, columns: features, elements: x), labels: labels)
}

struct Workload {
    var name: String
    var description: String
    var layers: [LayerSpecification]
    var inputSize: Int
    var loss: Loss
    var data: () throws -> Dataset<Double>
    var epochs: Int
    var batchSize: Int?
    var learningRate: Double
}

/// The update rules `--optimizer` takes, in the order `--step-cost` runs them.
let optimizerNames = ["sgd", "momentum", "adam"]

/// Adam's learning rate on every workload: PyTorch's default.
let adamLearningRate = 0.001

/// The optimiser `--optimizer name` selects.
func optimizer(named name: String) -> Optimizer {
    switch name {
    case "momentum": .sgd(momentum: 0.9)
    case "adam": .adam()
    default: .gradientDescent
    }
}

/// The learning rate a workload trains at with the named optimiser.
func learningRate(_ w: Workload, optimizer name: String) -> Double {
    name == "adam" ? adamLearningRate : w.learningRate
}

/// A fresh network of the workload (the same initial parameters every
/// time: seed 1), with its thread count and optimiser.
func network<S: NetworkScalar>(_ w: Workload, as _: S.Type, threads: Int, optimizer name: String) throws -> Network<S> {
    var net = try Network<S>(inputSize: w.inputSize, layers: w.layers, loss: w.loss, seed: 1)
    net.threads = threads
    net.optimizer = optimizer(named: name)
    return net
}

struct Result: Codable {
    var name: String
    var precision: String
    var threads: Int
    var optimizer: String
    var learningRate: Double
    var seconds: Double
    var secondsPerEpoch: Double
    var samplesPerSecond: Double
    var allocationsPerStep: Double?
    var finalLoss: Double
}

func workloads(quick: Bool) -> [Workload] {
    let q = quick
    return [
        Workload(name: "W1", description: "circles 2-4-3-1 relu/relu/sigmoid BCE, 1000 samples, full batch",
                 layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)], inputSize: 2,
                 loss: .binaryCrossEntropy,
                 data: { try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1) },
                 epochs: q ? 10 : 150, batchSize: nil, learningRate: 0.005),
        Workload(name: "W2", description: "blobs 2-3-3 sigmoid/softmax CCE, 1500 samples, full batch",
                 layers: [.dense(3, .sigmoid), .dense(3, .softmax)], inputSize: 2,
                 loss: .categoricalCrossEntropy,
                 data: { try Dataset.blobs(samplesPerClass: 500, seed: 1) },
                 epochs: q ? 100 : 10000, batchSize: nil, learningRate: 0.5),
        Workload(name: "W3", description: "MNIST-shaped 784-128-10 relu/softmax CCE, 60000 samples, batch 128",
                 layers: [.dense(128, .relu), .dense(10, .softmax)], inputSize: 784,
                 loss: .categoricalCrossEntropy,
                 data: { try synthetic(samples: q ? 1280 : 60000, features: 784, classes: 10, seed: 3) },
                 epochs: 1, batchSize: 128, learningRate: 0.01),
        Workload(name: "W4", description: "wide 1024-1024-1024-10 relu/relu/softmax CCE, 8192 samples, batch 256",
                 layers: [.dense(1024, .relu), .dense(1024, .relu), .dense(10, .softmax)], inputSize: 1024,
                 loss: .categoricalCrossEntropy,
                 data: { try synthetic(samples: q ? 512 : 8192, features: 1024, classes: 10, seed: 4) },
                 epochs: 1, batchSize: 256, learningRate: 0.01),
        Workload(name: "W5", description: "half adder 2-2-2-2 sigmoid MSE, online (batch 1), 4 samples",
                 layers: [.dense(2, .sigmoid), .dense(2, .sigmoid), .dense(2, .sigmoid)], inputSize: 2,
                 loss: .meanSquaredError, data: { Dataset.halfAdder() },
                 epochs: q ? 500 : 20000, batchSize: 1, learningRate: 0.5),
    ]
}

/// Heap allocations per training step, after warm-up: the difference
/// between a run of 2 epochs and one of 1 epoch, divided by the steps of one
/// epoch. Both runs train copies of one network that has trained once
/// already, so they share its kept engine (and its started threads): what
/// they allocate is the training loop's own, per call and per epoch.
/// The network trains with the optimiser of `options`, whose state (from
/// zeros in each run) is allocated once per call.
func allocationsPerStep<S: NetworkScalar>(_ w: Workload, data: Dataset<S>, options: Options) throws -> Double? {
    guard alloc_counter_supported() != 0 else { return nil }
    let steps = (data.count + (w.batchSize ?? data.count) - 1) / (w.batchSize ?? data.count)
    let rate = learningRate(w, optimizer: options.optimizer)
    var warm = try network(w, as: S.self, threads: options.threads, optimizer: options.optimizer)
    let trained = warm
    try warm.train(on: data, epochs: 1, learningRate: rate, batchSize: w.batchSize, shuffle: false)
    func count(epochs: Int) throws -> UInt64 {
        var net = trained
        let before = alloc_counter_total()
        try net.train(on: data, epochs: epochs, learningRate: rate, batchSize: w.batchSize, shuffle: false)
        return alloc_counter_total() - before
    }
    let one = try count(epochs: 1), two = try count(epochs: 2)
    return Double(Int64(two) - Int64(one)) / Double(steps)
}

func run<S: NetworkScalar>(_ w: Workload, as _: S.Type, options: Options) throws -> Result {
    let data = try w.data().converted(to: S.self)
    let rate = learningRate(w, optimizer: options.optimizer)
    var net = try network(w, as: S.self, threads: options.threads, optimizer: options.optimizer)
    // An untimed warm-up of two training steps on a copy, as the peers
    // (numpy_mlp.py, torch_mlp.py, openblas_mlp.c) get: the timed run
    // reuses the warm-up's engine (copies of a network share its engine
    // cache; the peers likewise keep their buffers) and still validates
    // its data, but does not pay for the process's first touch of memory
    // and threads. (Not with
    // --quick: the gate counts the instructions of every Network.train
    // call, and a warm machine does not change them.)
    if !options.quick {
        var warm = net
        let batch = w.batchSize ?? data.count
        try warm.train(on: data.rows(at: Array(0..<Swift.min(2 * batch, data.count))),
                       epochs: w.batchSize == nil ? 2 : 1, learningRate: rate,
                       batchSize: w.batchSize, shuffle: false)
    }
    let (report, seconds) = try timed {
        try net.train(on: data, epochs: w.epochs, learningRate: rate, batchSize: w.batchSize, shuffle: false)
    }
    let allocs = options.quick ? nil : try allocationsPerStep(w, data: data, options: options)
    return Result(name: w.name, precision: options.precision, threads: options.threads,
                  optimizer: options.optimizer, learningRate: rate, seconds: seconds,
                  secondsPerEpoch: seconds / Double(w.epochs),
                  samplesPerSecond: Double(data.count * w.epochs) / seconds,
                  allocationsPerStep: allocs, finalLoss: report.trainingLoss.last ?? .nan)
}

/// The result of `body` and the seconds it took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try body()
    let elapsed = clock.now - start
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// One configuration of `--step-cost`: the epoch times of each optimiser.
struct StepCost: Codable {
    var name: String
    var precision: String
    var threads: Int
    var rounds: Int
    /// Seconds of each timed epoch (one `train` call), by optimiser.
    var seconds: [String: [Double]]
    var best: [String: Double]
    var median: [String: Double]
    /// best(optimiser) / best(sgd), for momentum and adam.
    var ratioBest: [String: Double]
    /// median(optimiser) / median(sgd).
    var ratioMedian: [String: Double]
    var finalLoss: [String: Double]
}

/// `--step-cost`: the workload trained one epoch at a time by fresh copies
/// of one network (the same initial parameters; copies share its engine),
/// each optimiser in turn, in a rotating order, after one untimed epoch of
/// each. A `train` call is timed whole, so the per-call costs of an
/// optimiser with state (allocating it, copying it into the network at the
/// end) count against its steps.
func stepCost<S: NetworkScalar>(_ w: Workload, as _: S.Type, precision: String, threads: Int,
                                rounds: Int) throws -> StepCost {
    let data = try w.data().converted(to: S.self)
    let base = try network(w, as: S.self, threads: threads, optimizer: "sgd")
    var seconds = [String: [Double]](), losses = [String: Double]()
    func epoch(_ name: String) throws -> (loss: Double, seconds: Double) {
        var net = base
        net.optimizer = optimizer(named: name)
        let (report, time) = try timed {
            try net.train(on: data, epochs: w.epochs, learningRate: learningRate(w, optimizer: name),
                          batchSize: w.batchSize, shuffle: false)
        }
        return (report.trainingLoss.last ?? .nan, time)
    }
    for name in optimizerNames { _ = try epoch(name) }
    for round in 0..<rounds {
        let order = optimizerNames.indices.map { optimizerNames[($0 + round) % optimizerNames.count] }
        for name in order {
            let (loss, time) = try epoch(name)
            seconds[name, default: []].append(time)
            losses[name] = loss
        }
    }
    func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    let best = seconds.mapValues { $0.min()! }, medians = seconds.mapValues(median)
    var ratioBest = [String: Double](), ratioMedian = [String: Double]()
    for name in optimizerNames where name != "sgd" {
        ratioBest[name] = best[name]! / best["sgd"]!
        ratioMedian[name] = medians[name]! / medians["sgd"]!
    }
    return StepCost(name: w.name, precision: precision, threads: threads, rounds: rounds, seconds: seconds,
                    best: best, median: medians, ratioBest: ratioBest, ratioMedian: ratioMedian,
                    finalLoss: losses)
}

func writeJSON<T: Encodable>(_ value: T, to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path))
}

let options = parseOptions()
if options.stepCost {
    var costs: [StepCost] = []
    for w in workloads(quick: options.quick) where ["W3", "W4"].contains(w.name) && options.only?.contains(w.name) ?? true {
        for precision in options.precisionGiven ? [options.precision] : ["f64", "f32"] {
            for threads in options.threadsGiven ? [options.threads] : [1, 2] {
                let c = precision == "f32"
                    ? try stepCost(w, as: Float.self, precision: precision, threads: threads, rounds: options.rounds)
                    : try stepCost(w, as: Double.self, precision: precision, threads: threads, rounds: options.rounds)
                costs.append(c)
                print(String(format: "%@ %@ %dT  epoch best sgd %.4f s, momentum %.4f s, adam %.4f s;  "
                             + "momentum/sgd %.3f (median %.3f), adam/sgd %.3f (median %.3f)",
                             w.name, precision, threads, c.best["sgd"]!, c.best["momentum"]!, c.best["adam"]!,
                             c.ratioBest["momentum"]!, c.ratioMedian["momentum"]!,
                             c.ratioBest["adam"]!, c.ratioMedian["adam"]!))
            }
        }
    }
    try writeJSON(costs, to: options.json)
    exit(0)
}
var results: [Result] = []
for w in workloads(quick: options.quick) where options.only?.contains(w.name) ?? true {
    let r = options.precision == "f32" ? try run(w, as: Float.self, options: options)
                                       : try run(w, as: Double.self, options: options)
    results.append(r)
    print(String(format: "%@ %@ %dT %@ %-72@ %9.4f s  %10.3e s/epoch  %10.0f samples/s  allocs/step %@  loss %.4g",
                 w.name, r.precision, r.threads, r.optimizer.padding(toLength: 8, withPad: " ", startingAt: 0),
                 w.description, r.seconds, r.secondsPerEpoch, r.samplesPerSecond,
                 r.allocationsPerStep.map { String(format: "%.2f", $0) } ?? "n/a", r.finalLoss))
}
try writeJSON(results, to: options.json)
