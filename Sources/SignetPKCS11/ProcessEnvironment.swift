#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variables the module reads, taken when C_Initialize runs (a host may set them just
/// before loading the module).
public enum ProcessEnvironment {
    public static let names = ["SIGNET_URL", "SIGNET_TOKEN", "SIGNET_PKCS11_CONFIG", "SIGNET_PKCS11_DEBUG",
                               "SIGNET_ID_TOKEN", "SIGNET_OIDC_AUDIENCE", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]

    public static func signetVariables() -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }
}
