// swift-tools-version:6.1
// Fuzz targets for the Swift readers of Backprop: a package of its own that
// depends on Backprop by path, so fuzzing costs the library's users nothing.
// The fuzzer runtime is linked by flags given on the command line
// (`make fuzz`, Fuzz/README.md), never by the manifest.
import PackageDescription

let package = Package(
    name: "BackpropFuzz",
    dependencies: [
        .package(name: "Backprop", path: ".."),
    ],
    targets: [
        // The declaration of libFuzzer's driver, which each target's main calls.
        .target(name: "FuzzerDriver"),
        // CSV bytes → CSVTable → TabularData → class labels and numbers.
        .executableTarget(
            name: "FuzzCSV",
            dependencies: [.product(name: "Backprop", package: "Backprop"), "FuzzerDriver"]
        ),
        // Model-file bytes → ModelFile.decode → a prediction, and a
        // save → load round trip.
        .executableTarget(
            name: "FuzzModelFile",
            dependencies: [.product(name: "Backprop", package: "Backprop"), "FuzzerDriver"]
        ),
    ]
)
