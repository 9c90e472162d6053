// swift-tools-version:6.0
import PackageDescription

// One direction of imports (see docs/architecture.md):
//   CGessoKernels (C: oneDNN wrapper + elementwise kernels)  <-  GessoKernels (Swift, buffers in/out, naive twins)
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
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .target(
            name: "CGessoKernels",
            dependencies: ["CDNNL"],
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("m")]
        ),
        .target(name: "GessoKernels", dependencies: ["CGessoKernels"]),
        .target(name: "TensorCore", dependencies: ["GessoKernels"]),
        .executableTarget(
            name: "GessoCLI",
            dependencies: ["TensorCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "GessoKernelsTests", dependencies: ["GessoKernels"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
