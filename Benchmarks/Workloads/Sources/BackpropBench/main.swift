// BackpropBench — the performance issue's workloads W1–W5 through the
// public Swift API, in release builds.
//
//   BackpropBench [--quick] [--only W1,W3] [--precision f64|f32] [--threads N] [--json FILE]
//
// Prints one line per workload (time, throughput, heap allocations per
// training step after warm-up) and, with --json, writes the same figures.
// --quick shrinks every workload (for instruction counting under callgrind,
// where only the instruction count matters, not the size).
import AllocCounter
import Backprop
import Foundation

struct Options {
    var quick = false
    var only: Set<String>? = nil
    var json: String? = nil
    var precision = "f64"
    var threads = 1
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
            guard ["f64", "f32"].contains(o.precision) else {
                FileHandle.standardError.write("--precision takes f64 or f32\n".data(using: .utf8)!)
                exit(2)
            }
        case "--threads":
            guard let n = Int(args.next() ?? ""), n >= 1 else {
                FileHandle.standardError.write("--threads takes a positive integer\n".data(using: .utf8)!)
                exit(2)
            }
            o.threads = n
        default:
            FileHandle.standardError.write("unknown option \(a)\n".data(using: .utf8)!)
            exit(2)
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

struct Result: Codable {
    var name: String
    var precision: String
    var threads: Int
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
func allocationsPerStep<S: NetworkScalar>(_ w: Workload, data: Dataset<S>, threads: Int) throws -> Double? {
    guard alloc_counter_supported() != 0 else { return nil }
    let steps = (data.count + (w.batchSize ?? data.count) - 1) / (w.batchSize ?? data.count)
    var warm = try Network<S>(inputSize: w.inputSize, layers: w.layers, loss: w.loss, seed: 1)
    warm.threads = threads
    let trained = warm
    try warm.train(on: data, epochs: 1, learningRate: w.learningRate, batchSize: w.batchSize, shuffle: false)
    func count(epochs: Int) throws -> UInt64 {
        var net = trained
        let before = alloc_counter_total()
        try net.train(on: data, epochs: epochs, learningRate: w.learningRate, batchSize: w.batchSize, shuffle: false)
        return alloc_counter_total() - before
    }
    let one = try count(epochs: 1), two = try count(epochs: 2)
    return Double(Int64(two) - Int64(one)) / Double(steps)
}

func run<S: NetworkScalar>(_ w: Workload, as _: S.Type, options: Options) throws -> Result {
    let data = try w.data().converted(to: S.self)
    var net = try Network<S>(inputSize: w.inputSize, layers: w.layers, loss: w.loss, seed: 1)
    net.threads = options.threads
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
                       epochs: w.batchSize == nil ? 2 : 1, learningRate: w.learningRate,
                       batchSize: w.batchSize, shuffle: false)
    }
    let clock = ContinuousClock()
    let start = clock.now
    let report = try net.train(on: data, epochs: w.epochs, learningRate: w.learningRate,
                               batchSize: w.batchSize, shuffle: false)
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let allocs = options.quick ? nil : try allocationsPerStep(w, data: data, threads: options.threads)
    return Result(name: w.name, precision: options.precision, threads: options.threads, seconds: seconds,
                  secondsPerEpoch: seconds / Double(w.epochs),
                  samplesPerSecond: Double(data.count * w.epochs) / seconds,
                  allocationsPerStep: allocs, finalLoss: report.trainingLoss.last ?? .nan)
}

let options = parseOptions()
var results: [Result] = []
for w in workloads(quick: options.quick) where options.only?.contains(w.name) ?? true {
    let r = options.precision == "f32" ? try run(w, as: Float.self, options: options)
                                       : try run(w, as: Double.self, options: options)
    results.append(r)
    print(String(format: "%@ %@ %dT  %-72@ %9.4f s  %10.3e s/epoch  %10.0f samples/s  allocs/step %@  loss %.4g",
                 w.name, r.precision, r.threads, w.description, r.seconds, r.secondsPerEpoch, r.samplesPerSecond,
                 r.allocationsPerStep.map { String(format: "%.2f", $0) } ?? "n/a", r.finalLoss))
}
if let path = options.json {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(results).write(to: URL(fileURLWithPath: path))
}
