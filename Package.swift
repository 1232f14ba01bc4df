// swift-tools-version:6.1
import PackageDescription

/// Signet: an internal test-signing certificate authority whose keys live in a PKCS#11 token.
/// Module roles and the dependency direction are described in docs/architecture.md, whose module graph
/// a test (PackageGraphTests) checks against this file; the same test checks that every target
/// declares exactly the modules its sources import.
let package = Package(
    name: "signet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "signet", targets: ["signet"]),
        .executable(name: "signet-bench", targets: ["signet-bench"]),
        // The pure modules, for the fuzz package in Fuzz/ (its own Package.swift depends on this one by path).
        .library(name: "SignetWire", targets: ["SignetWire"]),
        .library(name: "SignetCore", targets: ["SignetCore"]),
        // libsignet-pkcs11.so: release keys for any PKCS#11 consumer (osslsigncode, jarsigner, openssl).
        .library(name: "signet-pkcs11", type: .dynamic, targets: ["SignetPKCS11Module"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPKCS11",
            providers: [.apt(["libsofthsm2-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "SignetWire",
            dependencies: [
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SignetCore",
            dependencies: [
                "SignetWire",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .target(
            name: "SignetHSM",
            dependencies: [
                "CPKCS11",
                "SignetCore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SignetStore",
            dependencies: [
                "SignetCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // PostgreSQL beside SQLite, for several `signet serve` nodes on one database; a module of its own so
        // builds that need only the embedded store do not compile the PostgreSQL client.
        .target(
            name: "SignetPostgres",
            dependencies: [
                "SignetCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SignetServer",
            dependencies: [
                "SignetCore",
                "SignetWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        .target(
            name: "SignetRuntime",
            dependencies: [
                "SignetCore",
                "SignetWire",
                "SignetHSM",
                "SignetPostgres",
                "SignetStore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SignetClient",
            dependencies: [
                "SignetCore",
                "SignetWire",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The PKCS#11 module's logic: configuration, object model, mechanisms, the calls to Signet. It
        // depends on no other Signet module, so the library stays small and loads into any process.
        .target(
            name: "SignetPKCS11",
            dependencies: [
                "CPKCS11",
                "CCurl",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Only the exported C_GetFunctionList, linked into libsignet-pkcs11.so and nothing else, so the
        // tests link the logic without the export. Every other symbol (the Swift runtime's too, linked in)
        // is kept local, and the library is never unloaded: host processes dlclose modules, and Swift
        // runtime state must outlive that.
        .target(
            name: "SignetPKCS11Module",
            dependencies: ["SignetPKCS11", "CPKCS11"],
            exclude: ["exports.map"],
            linkerSettings: [
                // -z defs: a symbol left unresolved fails the link, not the consumer's dlopen.
                .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/SignetPKCS11Module/exports.map",
                              "-Xlinker", "-z", "-Xlinker", "nodelete", "-Xlinker", "-z", "-Xlinker", "defs"]),
                // The Swift runtime and FoundationEssentials linked in, in every build: the library loads where no
                // toolchain is installed, and `make test` drives the very link `make dist` ships. Modules compiled
                // against the shared runtime do not record the archives static FoundationEssentials needs; they
                // are named here.
                .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux])),
            ] + ["_FoundationCollections", "_FoundationCShims", "swiftSynchronization"].map { .linkedLibrary($0, .when(platforms: [.linux])) }
        ),
        .executableTarget(
            name: "signet-bench",
            dependencies: [
                "SignetCore",
                "SignetWire",
                "SignetHSM",
                "SignetStore",
                "SignetRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "signet",
            dependencies: [
                "SignetClient",
                "SignetCore",
                "SignetRuntime",
                "SignetServer",
                "SignetStore",
                "SignetWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            // The Swift runtime and Foundation linked in, in every build: the binary runs on machines
            // without Swift (`make dist` ships this link), and `make test` checks the very binary it runs.
            // Modules compiled against the shared Foundation name only its shared libraries; the
            // archives behind them are added here (what `swiftc -static-stdlib` would record).
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
                + ["CoreFoundation", "_FoundationICU", "_FoundationCShims", "_FoundationCollections", "swiftSynchronization"]
                .map { .linkedLibrary($0, .when(platforms: [.linux])) }
        ),
        .target(
            name: "SignetTestSupport",
            dependencies: [
                "SignetRuntime", "SignetCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/SignetTestSupport"
        ),
        .testTarget(
            name: "SignetWireTests",
            dependencies: [
                "SignetWire",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SignetClientTests",
            dependencies: [
                "SignetClient", "SignetCore", "SignetTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "SignetCoreTests",
            dependencies: [
                "SignetCore", "SignetWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "SignetHSMTests",
            dependencies: [
                "CPKCS11", "SignetCore", "SignetHSM", "SignetTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "SignetRuntimeTests",
            dependencies: [
                "SignetCore", "SignetRuntime", "SignetStore", "SignetTestSupport", "SignetWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "SignetStoreTests",
            dependencies: ["SignetCore", "SignetPostgres", "SignetStore", "SignetTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "SignetServerTests",
            dependencies: [
                "SignetCore", "SignetRuntime", "SignetServer", "SignetTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "SignetPKCS11Tests",
            dependencies: [
                "SignetPKCS11", "CPKCS11", "SignetTestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["SignetCore", "SignetStore", "SignetTestSupport", "SignetWire"]
        ),
    ]
)
