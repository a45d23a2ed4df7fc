// swift-tools-version:6.1
// A package that uses Backprop as a dependency, exactly as an application
// would: proof that Backprop embeds (no unsafeFlags, system library found
// through pkg-config). `make test` builds and runs it.
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [
        .package(name: "Backprop", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "Backprop", package: "Backprop")]
        ),
        // Trains a network with the core product alone: `make test` checks
        // that no CSV, model-file or plot code is linked into it.
        .executableTarget(
            name: "CoreConsumer",
            dependencies: [.product(name: "BackpropCore", package: "Backprop")]
        ),
        // How many of 20 seeds train seed 03's half adder to cost < 0.001.
        .executableTarget(
            name: "HalfAdderSeeds",
            dependencies: [.product(name: "Backprop", package: "Backprop")]
        ),
    ]
)
