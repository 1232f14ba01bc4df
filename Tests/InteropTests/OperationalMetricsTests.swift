import Foundation
import SignetTestSupport
import Testing

/// What an operator's Prometheus alerts on, read from a running `signet serve`'s `/metrics` and held
/// against the store (`signet inventory`, `signet audit verify`) and the CRLs it serves (openssl).
@Suite struct OperationalMetricsTests {
    @Test("/metrics: expiry, rotation, CRL and checkpoint gauges match the store and the served CRLs; HSM and store up; issuance counted by profile and team; /healthz checks both")
    func gauges() async throws {
        let work = TestEnvironment.temporaryDirectory("metrics")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        let server = try ServerProcess(home: home)
        defer { server.stop() }
        func signetJSON(_ arguments: [String]) throws -> [String: Any] {
            let result = try OpenSSL.check(ProcessRunner.signet(arguments + ["--home", home, "--json"]), "signet \(arguments.joined(separator: " "))")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        }
        func epoch(_ text: Any?) -> Double? {
            (text as? String).flatMap { ISO8601DateFormatter().date(from: $0) }?.timeIntervalSince1970
        }

        // One issuance by a developer of team payments, counted with both labels.
        let token = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--home", home, "--role", "developer", "--team", "payments"]), "token")
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let issued = try await HTTPClient.json(server.baseURL + "/api/v1/certificates", token: token,
                                               ["profile": "prerelease-codesign", "csr": try String(contentsOfFile: csrPath, encoding: .utf8)])
        #expect(issued.status == 201)

        let verified = try signetJSON(["audit", "verify"])
        let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
        func gauge(_ sample: String) -> Double? { PrometheusText.value(of: sample, in: metrics) }

        #expect(gauge("signet_hsm_up") == 1 && gauge("signet_store_up") == 1)
        #expect(gauge("signet_certificates_issued_total{profile=\"prerelease-codesign\",team=\"payments\"}") == 1, "\(metrics.split(separator: "\n").filter { $0.contains("issued") })")
        #expect(metrics.contains("# HELP signet_authority_not_after_seconds"), "gauges carry HELP text")

        // Every authority that still holds its key: its expiry and, for active ones that rotate, when.
        let inventory = try signetJSON(["inventory"])
        let authorities = try #require(inventory["authorities"] as? [[String: Any]])
        #expect(authorities.count >= 4)
        for authority in authorities {
            let name = try #require(authority["name"] as? String), kind = try #require(authority["kind"] as? String)
            let notAfter = try #require(epoch(authority["not_after"]))
            let shown = gauge("signet_authority_not_after_seconds{authority=\"\(name)\",kind=\"\(kind)\"}")
            #expect(shown.map { abs($0 - notAfter) < 1 } == true, "\(name): gauge \(shown ?? -1), store \(notAfter)")
            if let rotation = epoch(authority["next_rotation"]) {
                let due = gauge("signet_rotation_due_seconds{authority=\"\(name)\"}")
                #expect(due.map { abs($0 - rotation) < 1 } == true, "\(name): rotation gauge \(due ?? -1), store \(rotation)")
            }
            // The CRL each CA serves, read by openssl: its nextUpdate is the gauge's.
            if kind == "root-ca" || kind == "issuing-ca" {
                let crl = try await HTTPClient.request(server.baseURL + "/crl/\(name).crl")
                let path = work + "/\(name).crl"
                try Data(crl.body).write(to: URL(fileURLWithPath: path))
                let text = try OpenSSL.check(ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", path, "-noout", "-nextupdate"]), "crl").output
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
                let value = text.replacingOccurrences(of: "nextUpdate=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
                    .replacingOccurrences(of: "  ", with: " ")
                let next = try #require(formatter.date(from: value), "cannot read \(value)").timeIntervalSince1970
                let shown = gauge("signet_crl_next_update_seconds{issuer=\"\(name)\"}")
                #expect(shown.map { abs($0 - next) < 1 } == true, "\(name): CRL gauge \(shown ?? -1), served CRL \(next)")
            }
        }

        // The newest checkpoint, as verify saw it just before the scrape (the server may sign a newer one).
        let newest = try #require(epoch((verified["newest_checkpoint"] as? [String: Any])?["time"]))
        let checkpoint = try #require(gauge("signet_audit_last_checkpoint_seconds"))
        #expect(checkpoint >= newest - 1 && checkpoint - newest < 120, "checkpoint gauge \(checkpoint), verify saw \(newest)")

        let health = try await HTTPClient.request(server.baseURL + "/healthz")
        let body = try JSONSerialization.jsonObject(with: Data(health.body)) as? [String: Any]
        #expect(health.status == 200 && body?["hsm"] as? String == "ok" && body?["store"] as? String == "ok", "\(body ?? [:])")
    }
}
