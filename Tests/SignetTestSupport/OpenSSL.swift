import Foundation

/// Thin helpers around the real `openssl` CLI for interop tests.
public enum OpenSSL {
    /// Generates a key (`ec:P-256`, `ec:P-384`, `rsa:3072`, `rsa:2048`) and a CSR for it in `directory`.
    /// Returns the CSR path and the key path.
    public static func makeCSR(_ kind: String, in directory: String, subject: String = "/CN=developer") throws -> (csr: String, key: String) {
        let key = directory + "/\(kind.replacingOccurrences(of: ":", with: "-")).key"
        let csr = directory + "/\(kind.replacingOccurrences(of: ":", with: "-")).csr"
        let parts = kind.split(separator: ":")
        let genArgs: [String]
        if parts[0] == "ec" {
            genArgs = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(parts[1])", "-out", key]
        } else {
            genArgs = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(parts[1])", "-out", key]
        }
        try check(ProcessRunner.run("openssl", genArgs), "openssl genpkey")
        try check(ProcessRunner.run("openssl", ["req", "-new", "-key", key, "-subj", subject, "-out", csr]), "openssl req")
        return (csr, key)
    }

    @discardableResult
    public static func check(_ result: ProcessResult, _ what: String) throws -> ProcessResult {
        guard result.succeeded else { throw TestFailure("\(what) failed (\(result.status)): \(result.stderr) \(result.output)") }
        return result
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
