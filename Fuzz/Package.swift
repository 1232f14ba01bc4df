// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for Signet's parsers of network and file input, one executable each (see
/// README.md, "Fuzzing"). A package of its own because `make fuzz` builds it with
/// `swift build --sanitize=fuzzer`, which instruments every module it compiles; it depends on the
/// root package by path and uses only its pure modules (SignetWire, SignetCore), so the server,
/// the store and the HSM layer are never built here.
let package = Package(
    name: "signet-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "signet", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport"),
    ] + [
        "FuzzDuration", "FuzzQuery", "FuzzJSONBody", "FuzzToken", "FuzzCSR", "FuzzOCSPRequest", "FuzzTSARequest",
        "FuzzTimeStampResp", "FuzzProfile", "FuzzConfig", "FuzzCIIdentities", "FuzzIDToken",
    ].map { name in
        .executableTarget(name: name, dependencies: [
            "FuzzSupport",
            .product(name: "SignetCore", package: "signet"),
            .product(name: "SignetWire", package: "signet"),
        ])
    }
)
