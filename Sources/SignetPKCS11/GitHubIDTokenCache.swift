#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The ID token a GitHub Actions job gets from its runner, asked for when first needed and reused until
/// a minute before it expires: one request to the runner per token lifetime rather than per signature.
/// Lives in one initialisation's state, so a forked child that initialises again asks on its own.
///
/// GitHub's documented request: GET the request URL with `audience` added, the request token as bearer;
/// the answer is `{"value": "<ID token>"}`.
final class GitHubIDTokenCache: @unchecked Sendable {
    /// Seconds before `exp` a token stops being reused, so it does not expire on its way to Signet.
    static let margin: Int64 = 60

    private struct Answer: Decodable {
        let value: String
    }

    let request: GitHubIDTokenRequest
    let transport: CurlTransport
    private let mutex = PthreadMutex()
    /// Guarded by `mutex`.
    private var cached: (token: String, expires: Int64)?

    init(request: GitHubIDTokenRequest, timeoutSeconds: Int) {
        self.request = request
        // The runner's endpoint is GitHub's, vouched for by the system's trust store, not Signet's root.
        self.transport = CurlTransport(rootFile: nil, timeoutSeconds: timeoutSeconds)
    }

    /// An ID token valid for at least ``margin`` seconds, by `now` (seconds since the epoch).
    func token(now: Int64 = Int64(time(nil))) throws(SignetFailure) -> String {
        if let cached = mutex.withLock({ cached }), cached.expires - Self.margin > now { return cached.token }
        let response: CurlTransport.Response
        do {
            response = try transport.perform("GET", request.urlWithAudience,
                                             headers: ["Authorization: bearer \(request.requestToken)", "Accept: application/json"], body: nil)
        } catch {
            switch error {
            case .unreachable(let reason): throw .identityProviderUnreachable(reason)
            default: throw .credential("asking the GitHub Actions runner for an ID token: \(error)")
            }
        }
        guard (200..<300).contains(response.status) else {
            throw .credential("the GitHub Actions runner answered HTTP \(response.status) to the ID token request (does the workflow grant id-token: write?)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
            throw .credential("expected {\"value\": <ID token>} from the GitHub Actions runner")
        }
        do {
            try BearerSource.validate(answer.value, what: "the GitHub Actions runner's ID token")
        } catch {
            throw .credential(error.message)
        }
        if let expires = JWTExpiry.seconds(of: answer.value) {
            mutex.withLock { cached = (answer.value, expires) }
        }
        return answer.value
    }
}
