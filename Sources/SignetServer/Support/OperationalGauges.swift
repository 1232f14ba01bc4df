import Foundation
import Prometheus
import SignetCore

/// The gauges an operator's Prometheus alerts on, set from the store and the token at every scrape of
/// `/metrics`: when each authority's certificate expires and when it rotates, when each CA's CRL goes
/// stale, how old the newest audit checkpoint is, and whether the HSM and the store answer. Times are
/// Unix seconds (cert-manager's `…_expiration_timestamp_seconds` habit), so a rule reads
/// `signet_authority_not_after_seconds - time() < 30*86400`.
///
/// Authorities that were retired (key destroyed) have no gauges: a gauge left behind for one would page
/// someone about a certificate nothing uses.
final class OperationalGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// The labelled gauges set at the last scrape, so those of authorities gone since are unregistered.
    private let labelled = Locked<[String: Gauge]>([:])
    private let hsmUp: Gauge
    private let storeUp: Gauge
    private let lastCheckpoint: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        hsmUp = registry.makeGauge(descriptor: Self.descriptor("signet_hsm_up", "1 when the HSM answered a request for its key list at this scrape, else 0"), labels: [])
        storeUp = registry.makeGauge(descriptor: Self.descriptor("signet_store_up", "1 when the store answered a query at this scrape, else 0"), labels: [])
        lastCheckpoint = registry.makeGauge(
            descriptor: Self.descriptor("signet_audit_last_checkpoint_seconds", "When the newest signed audit checkpoint was made (Unix time); 0 when there is none"),
            labels: [])
    }

    /// A descriptor whose full name is `name`: its last word is the unit (`seconds`, `up`).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        let cut = name.lastIndex(of: "_") ?? name.endIndex
        return MetricNameDescriptor(metricName: String(name[..<cut]), unitName: String(name[cut...].dropFirst()), helpText: help)
    }

    /// Sets every gauge from the current state of `services`. Never throws: what cannot be read shows
    /// as the HSM or the store being down.
    func update(_ services: SignetServices) async {
        var fresh: [String: Gauge] = [:]
        func set(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Date) {
            let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
            let gauge = labelled.withLock { $0[key] } ?? registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
            gauge.set(to: value.timeIntervalSince1970)
            fresh[key] = gauge
        }

        var storeAnswered = true
        do {
            for authority in try await services.repository.authorities() where authority.state != .retired {
                set("signet_authority_not_after_seconds", [("authority", authority.name), ("kind", authority.kind)],
                    "When the authority's certificate expires (Unix time)", authority.notAfter)
                if let due = authority.rotateAt, authority.state == .active {
                    set("signet_rotation_due_seconds", [("authority", authority.name)], "When the authority's key is next rotated (Unix time)", due)
                }
            }
            let checkpoint = try await services.repository.newestCheckpoint()
            lastCheckpoint.set(to: checkpoint?.time.timeIntervalSince1970 ?? 0)
        } catch {
            storeAnswered = false
        }
        for issuer in services.ca.authorities
        where issuer.record.kind == Profile.Kind.rootCA.rawValue || issuer.record.kind == Profile.Kind.issuingCA.rawValue {
            if let crl = try? await services.revocation.currentCRL(for: issuer.name) {
                set("signet_crl_next_update_seconds", [("issuer", issuer.name)], "When the CA's current CRL stops being valid (Unix time)", crl.nextUpdate)
            }
        }
        storeUp.set(to: storeAnswered ? 1 : 0)
        let hsmAnswered = (try? await services.probeHSM()) != nil
        hsmUp.set(to: hsmAnswered ? 1 : 0)

        let gone = labelled.withLock { current in
            let gone = current.filter { fresh[$0.key] == nil }.map(\.value)
            current = fresh
            return gone
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }
}
