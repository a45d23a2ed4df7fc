// swift-tools-version:6.1
// The workload benchmarks (W1–W5 of the performance issue) through the
// Swift API, built in release by `make bench`. A separate package so that
// the library's own manifest stays free of benchmark-only code.
import PackageDescription

let package = Package(
    name: "BackpropBenchmarks",
    dependencies: [
        .package(name: "Backprop", path: "../.."),
    ],
    targets: [
        // Counts heap allocations by wrapping glibc's malloc family.
        .target(name: "AllocCounter", path: "Sources/AllocCounter"),
        .executableTarget(
            name: "BackpropBench",
            dependencies: [.product(name: "Backprop", package: "Backprop"), "AllocCounter"],
            path: "Sources/BackpropBench"
        ),
    ]
)
