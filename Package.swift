// swift-tools-version:6.0
import PackageDescription

// oneDNN 3.2 is fetched into .deps/onednn by scripts/setup.sh (the README's first command and .ci/run run it).
let oneDNN = Context.packageDirectory + "/.deps/onednn"

// One direction of imports (see docs/architecture.md):
//   CGessoKernels (C: oneDNN wrapper + elementwise and pooling kernels)  <-  GessoKernels (Swift, buffers in/out, naive twins)
//   <-  TensorCore (Tensor, tape autodiff, ops, nn namespace)  <-  GessoCLI (`gesso`, the only place that prints)
let package = Package(
    name: "Gesso",
    products: [
        .library(name: "Gesso", targets: ["TensorCore"]),
        .executable(name: "gesso", targets: ["GessoCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CGessoKernels",
            cSettings: [.unsafeFlags(["-I" + oneDNN + "/include"])],
            linkerSettings: [
                .unsafeFlags(["-L" + oneDNN + "/lib", "-Xlinker", "-rpath", "-Xlinker", oneDNN + "/lib"]),
                .linkedLibrary("dnnl"), .linkedLibrary("m"),
            ]
        ),
        .target(name: "GessoKernels", dependencies: ["CGessoKernels"]),
        .target(name: "TensorCore", dependencies: ["GessoKernels"]),
        .executableTarget(
            name: "GessoCLI",
            dependencies: ["TensorCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "GessoKernelsTests", dependencies: ["GessoKernels"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"], exclude: ["Fixtures"]),
        // Runs the built `gesso` binary; depends on the executable so that it is built first.
        .testTarget(name: "GessoCLITests", dependencies: ["GessoCLI"]),
    ],
    swiftLanguageModes: [.v5]
)
