#!/usr/bin/env python3
"""Time from a revocation returning to OCSP and to the CRL showing it (Benchmarks/run.sh).

For each round: issue a certificate over the API, revoke it (admin token), and from the moment the
revoke call returns poll every --interval seconds, on kept-alive connections, both
`POST /ocsp` (a nonce-less request, so the pre-signed path is what is measured) and
`GET /crl/<issuer>.crl`, until each shows the certificate revoked. Prints one JSON object.
"""
import argparse
import http.client
import json
import statistics
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True, help="token that may issue")
    parser.add_argument("--admin-token", required=True)
    parser.add_argument("--issuing-ca", required=True, help="PEM of the issuing CA")
    parser.add_argument("--crl-name", default="issuing-ca-1")
    parser.add_argument("--body", required=True, help="JSON issuance request body")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.010)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    issuer = x509.load_pem_x509_certificate(open(args.issuing_ca, "rb").read())
    body = open(args.body, "rb").read()
    api = http.client.HTTPConnection(args.host, args.port, timeout=30)
    ocsp_conn = http.client.HTTPConnection(args.host, args.port, timeout=30)
    crl_conn = http.client.HTTPConnection(args.host, args.port, timeout=30)
    rounds = []
    for _ in range(args.rounds):
        status, data = request(api, "POST", "/api/v1/certificates", body,
                               {"Authorization": "Bearer " + args.token, "Content-Type": "application/json"})
        if status != 201:
            sys.exit(f"revocation_latency: issuance returned {status}: {data[:200]!r}")
        issued = json.loads(data)
        cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
        ocsp_request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build() \
            .public_bytes(serialization.Encoding.DER)
        # Warm the pre-signed "good" answer and the CRL first, as a relying party would have.
        request(ocsp_conn, "POST", "/ocsp", ocsp_request, {"Content-Type": "application/ocsp-request"})
        request(crl_conn, "GET", f"/crl/{args.crl_name}.crl")

        status, data = request(api, "POST", f"/api/v1/certificates/{issued['serial']}/revoke",
                               json.dumps({"reason": "keyCompromise"}).encode(),
                               {"Authorization": "Bearer " + args.admin_token, "Content-Type": "application/json"})
        returned = time.monotonic()
        if status != 200:
            sys.exit(f"revocation_latency: revoke returned {status}: {data[:200]!r}")
        seen = {"ocsp": None, "crl": None}
        polls = {"ocsp": 0, "crl": 0}
        next_tick = returned
        while None in seen.values() and time.monotonic() - returned < args.timeout:
            if seen["ocsp"] is None:
                polls["ocsp"] += 1
                status, data = request(ocsp_conn, "POST", "/ocsp", ocsp_request, {"Content-Type": "application/ocsp-request"})
                if status == 200:
                    answer = ocsp.load_der_ocsp_response(data)
                    if answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL and \
                            answer.certificate_status == ocsp.OCSPCertStatus.REVOKED:
                        seen["ocsp"] = time.monotonic() - returned
            if seen["crl"] is None:
                polls["crl"] += 1
                status, data = request(crl_conn, "GET", f"/crl/{args.crl_name}.crl")
                if status == 200 and x509.load_der_x509_crl(data).get_revoked_certificate_by_serial_number(cert.serial_number):
                    seen["crl"] = time.monotonic() - returned
            next_tick += args.interval
            time.sleep(max(0.0, next_tick - time.monotonic()))
        rounds.append({"serial": issued["serial"],
                       "ocsp_ms": None if seen["ocsp"] is None else round(seen["ocsp"] * 1000, 1),
                       "crl_ms": None if seen["crl"] is None else round(seen["crl"] * 1000, 1),
                       "polls": polls})

    def summary(key):
        values = [r[key] for r in rounds]
        if any(v is None for v in values):
            return {"max": None, "median": None, "timeouts": sum(v is None for v in values)}
        return {"max": max(values), "median": statistics.median(values), "timeouts": 0}

    print(json.dumps({"interval_ms": args.interval * 1000, "rounds": rounds,
                      "ocsp_ms": summary("ocsp_ms"), "crl_ms": summary("crl_ms")}))


if __name__ == "__main__":
    main()
