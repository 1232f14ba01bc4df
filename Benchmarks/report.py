#!/usr/bin/env python3
"""Turns Benchmarks/results/raw/*.json into the figures table, results.json and Benchmarks/README.md.

Called by Benchmarks/run.sh; can be re-run on an existing results directory:
    python3 Benchmarks/report.py --results Benchmarks/results --template Benchmarks/README.template.md --out Benchmarks/README.md
"""
import argparse
import glob
import json
import os
import sys


def load_raw(results):
    raw = {}
    for path in sorted(glob.glob(os.path.join(results, "raw", "*.json"))):
        name = os.path.basename(path)[:-5]
        try:
            raw[name] = json.load(open(path))
        except (ValueError, OSError) as error:
            print(f"report: skipping {path}: {error}", file=sys.stderr)
    return raw


class Figures:
    def __init__(self, raw):
        self.raw = raw
        self.rows = []

    # Accessors: None when the figure is missing.
    def rate(self, name):
        r = self.raw.get(name)
        if not r or not r.get("seconds"):
            return None
        return (r["requests"] - r["errors"]["status"]) / r["seconds"]

    def latency_ms(self, name, pct):
        r = self.raw.get(name)
        return None if not r else r["latency_us"][pct] / 1000

    def busy(self, name):
        """Cores used by processes other than the server and the load generator during the figure."""
        cpu = self.raw.get(name + ".cpu")
        return None if not cpu else cpu.get("other_cores")

    def errors(self, name):
        r = self.raw.get(name)
        return 0 if not r else sum(r.get("errors", {}).values())

    def get(self, name, *path):
        value = self.raw.get(name)
        for key in path:
            if value is None:
                return None
            value = value.get(key)
        return value

    def add(self, figure, signet, peer_name, peer, unit, better, target=None, check=None, sources=()):
        """better: 'higher' or 'lower' (what is good for Signet); ratio > 1 always means Signet is better."""
        ratio = None
        if signet is not None and peer is not None and signet > 0 and peer > 0:
            ratio = signet / peer if better == "higher" else peer / signet
        met = None
        if check is not None and signet is not None:
            met = check(signet, ratio)
        errors = sum(self.errors(s) for s in sources)
        others = [self.busy(s) for s in sources if self.busy(s) is not None]
        samples = [self.raw[s]["requests"] for s in sources if s in self.raw and "requests" in self.raw[s]]
        self.rows.append({"figure": figure, "unit": unit, "signet": signet, "peer_name": peer_name, "peer": peer,
                          "ratio": ratio, "better": better, "target": target, "met": met, "errors": errors,
                          "other_cores": max(others) if others else None, "min_samples": min(samples) if samples else None})


def build(raw, nproc):
    f = Figures(raw)
    ge = lambda k: (lambda s, r: r is not None and r >= k)
    for key, label, cfssl in (("p256", "P-256", "cfssl serve (P-256 file key)"), ("rsa", "RSA-3072", "cfssl serve (RSA-3072 file key)")):
        s, p = f"signet-issue-{key}", f"cfssl-issue-{key}"
        f.add(f"Issuance over HTTP, {label} issuing key", f.rate(s), cfssl, f.rate(p), "certs/s", "higher",
              "≥ 1.0× cfssl", ge(1.0), (s, p))
        f.add(f"Issuance {label}: p50 latency", f.latency_ms(s, "p50"), cfssl, f.latency_ms(p, "p50"), "ms", "lower", sources=(s, p))
        f.add(f"Issuance {label}: p99 latency", f.latency_ms(s, "p99"), cfssl, f.latency_ms(p, "p99"), "ms", "lower", sources=(s, p))
    f.add("OCSP GET (pre-signed, keep-alive)", f.rate("signet-ocsp-get"), "cfssl ocspserve (POST¹)", f.rate("cfssl-ocsp-post"),
          "responses/s", "higher", "≥ 2× cfssl", ge(2.0), ("signet-ocsp-get", "cfssl-ocsp-post"))
    f.add("OCSP POST (pre-signed, keep-alive)", f.rate("signet-ocsp-post"), "cfssl ocspserve", f.rate("cfssl-ocsp-post"),
          "responses/s", "higher", "≥ 2× cfssl", ge(2.0), ("signet-ocsp-post", "cfssl-ocsp-post"))
    f.add("OCSP GET", f.rate("signet-ocsp-get"), "openssl ocsp -port", f.rate("openssl-ocsp-get"),
          "responses/s", "higher", "≥ 3× openssl", ge(3.0), ("signet-ocsp-get", "openssl-ocsp-get"))
    f.add("OCSP POST", f.rate("signet-ocsp-post"), "openssl ocsp -port", f.rate("openssl-ocsp-post"),
          "responses/s", "higher", "≥ 3× openssl", ge(3.0), ("signet-ocsp-post", "openssl-ocsp-post"))
    f.add("OCSP GET: p99 latency", f.latency_ms("signet-ocsp-get", "p99"), "openssl ocsp -port", f.latency_ms("openssl-ocsp-get", "p99"),
          "ms", "lower", sources=("signet-ocsp-get", "openssl-ocsp-get"))
    f.add("OCSP POST: p99 latency", f.latency_ms("signet-ocsp-post", "p99"), "cfssl ocspserve", f.latency_ms("cfssl-ocsp-post", "p99"),
          "ms", "lower", sources=("signet-ocsp-post", "cfssl-ocsp-post"))
    within = lambda s, r: s <= 1000
    f.add("Revoke returned → OCSP says revoked (worst of 5)", f.get("revocation", "ocsp_ms", "max"), "—", None, "ms", "lower",
          "≤ 1000 ms", within)
    f.add("Revoke returned → CRL lists it (worst of 5)", f.get("revocation", "crl_ms", "max"), "—", None, "ms", "lower",
          "≤ 1000 ms", within)
    procs = f.get("openssl-ts", "processes") or nproc
    f.add("TSA tokens", f.rate("signet-tsa"), f"openssl ts -reply, 1 process/token ×{procs} parallel", f.rate("openssl-ts"),
          "tokens/s", "higher", "≥ 50× openssl", ge(50.0), ("signet-tsa", "openssl-ts"))
    f.add("TSA tokens, absolute", f.rate("signet-tsa"), "Sigstore TSA (published)", 6481, "tokens/s", "higher",
          "≥ 6,500/s", lambda s, r: s >= 6500, ("signet-tsa",))
    f.add("TSA: p99 latency", f.latency_ms("signet-tsa", "p99"), "openssl ts -reply", f.latency_ms("openssl-ts", "p99"), "ms", "lower",
          sources=("signet-tsa",))
    sizes = sorted(int(k.split("-")[-1]) for k in raw if k.startswith("signet-crl-"))
    for n in sizes:
        last = n == max(sizes)
        s, p = f"signet-crl-{n}", f"openssl-crl-{n}"
        kib = lambda name: None if f.get(name, "peak_rss_kib") is None else f.get(name, "peak_rss_kib") / 1024
        f.add(f"CRL of {n:,} entries: time", f.get(s, "seconds"), "openssl ca -gencrl", f.get(p, "seconds"), "s", "lower",
              "≤ ½ openssl" if last else None, ge(2.0) if last else None)
        f.add(f"CRL of {n:,} entries: peak RSS", kib(s), "openssl ca -gencrl", kib(p), "MiB", "lower",
              "≤ openssl" if last else None, ge(1.0) if last else None)
    rows = f.get("populate", "certificates")
    at = f"{rows:,}" if rows else "?"
    conns = raw.get("_config", {}).get("connections", "?")
    f.add(f"Store: list by team + expiring_within, p99 ({at} certs, {conns} connections)", f.latency_ms("signet-list", "p99"), "—", None,
          "ms", "lower", "< 20 ms", lambda s, r: s < 20, ("signet-list",))
    f.add(f"Store: list requests ({conns} connections)", f.rate("signet-list"), "—", None, "req/s", "higher", sources=("signet-list",))
    f.add("Store: list p99, one client at a time", f.latency_ms("signet-list-1", "p99"), "—", None, "ms", "lower",
          "< 20 ms", lambda s, r: s < 20, ("signet-list-1",))
    rss = f.get("server-memory", "vmrss_kib")
    f.add("Store: server RSS after the list load", None if rss is None else rss / 1024, "—", None, "MiB", "lower")
    for algorithm, label in (("ec-p256", "P-256"), ("rsa-3072", "RSA-3072")):
        for sessions in (1, 2):
            f.add(f"HSM limit: C_Sign {label}, {sessions} session{'s' if sessions > 1 else ''}",
                  f.get(f"hsm-{algorithm}-{sessions}", "signatures_per_second"), "—", None, "signatures/s", "higher",
                  sources=(f"hsm-{algorithm}-{sessions}",))
    for threads in (1, 2):
        f.add(f"TSA without HTTP (signet-bench tsa), {threads} thread{'s' if threads > 1 else ''}",
              f.get(f"tsa-inprocess-{threads}", "tokens_per_second"), "—", None, "tokens/s", "higher",
              sources=(f"tsa-inprocess-{threads}",))
    for name, label in (("p256", "P-256"), ("rsa", "RSA-3072")):
        source = f"issue-inprocess-{name}"
        f.add(f"Issuance without HTTP (signet-bench issue), {label}, {conns} in flight", f.get(source, "certificates_per_second"), "—", None,
              "certs/s", "higher", sources=(source,))
        f.add(f"Issuance without HTTP, {label}: CPU per certificate", f.get(source, "cpu_us_per_certificate"), "—", None,
              "µs", "lower", sources=(source,))
    return f.rows


def fmt(value, unit=""):
    if value is None:
        return "—"
    if unit in ("ms", "s") or abs(value) < 100:
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,.0f}"


def table(rows):
    lines = ["| figure | unit | Signet | peer | peer value | ratio | target | met? |",
             "|---|---|---:|---|---:|---:|---|---|"]
    for r in rows:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        met = "—" if r["target"] is None else ("yes" if r["met"] else ("no" if r["met"] is not None else "n/a"))
        figure = r["figure"] + (f" ⚠ {r['errors']} errors" if r["errors"] else "")
        if r.get("min_samples") is not None and r["min_samples"] < 100:
            figure += f" (n = {r['min_samples']} requests)"
        if r.get("other_cores") is not None and r["other_cores"] >= 0.25:
            figure += f" † {r['other_cores']:.1f}"
        lines.append(f"| {figure} | {r['unit']} | {fmt(r['signet'], r['unit'])} | {r['peer_name']} | "
                     f"{fmt(r['peer'], r['unit'])} | {ratio} | {r['target'] or '—'} | {met} |")
    return "\n".join(lines)


def derived(raw, rows_by_name):
    out = []
    for key, label in (("p256", "P-256"), ("rsa", "RSA-3072")):
        wrk = raw.get(f"signet-issue-{key}")
        hsm = raw.get(f"signet-issue-{key}.hsm")
        if not wrk or not hsm:
            continue
        rate = (wrk["requests"] - wrk["errors"]["status"]) / wrk["seconds"]
        algorithm = "ec-p256" if key == "p256" else "rsa-3072"
        limit = raw.get(f"hsm-{algorithm}-1", {}).get("signatures_per_second")
        limit2 = raw.get(f"hsm-{algorithm}-2", {}).get("signatures_per_second")
        out.append(f"- Issuance {label}: {rate:,.0f} certs/s = {1000 / rate:.2f} ms of the whole machine per certificate; "
                   f"mean latency {wrk['latency_us']['mean'] / 1000:.1f} ms at {raw.get('_config', {}).get('connections', '?')} connections. "
                   f"HSM signatures per certificate: {hsm['hsm_signatures_per_request']:.2f}, "
                   f"HSM time per certificate (signet_hsm_sign_seconds, incl. waiting for a session): {hsm['hsm_ms_per_request']:.2f} ms. "
                   + (f"Raw HSM limit {limit:,.0f}/s with 1 session, {limit2:,.0f}/s with 2 "
                      f"(issuance reaches {100 * rate * hsm['hsm_signatures_per_request'] / limit2:.0f}% of the 2-session limit)."
                      if limit and limit2 else ""))
    fs = raw.get("fsync")
    if fs:
        out.append(f"- Disk: a 4 KiB append + fsync takes {fs['p50_ms']:.2f} ms (p50), {fs['p99_ms']:.2f} ms (p99) "
                   f"— the floor for one synchronous commit.")
    names = [k[:-4] for k in sorted(raw) if k.endswith(".cpu")]
    if names:
        out.append("")
        out.append("CPU during each load test (cores; the machine has %s): the server under test, the load generator "
                   "(wrk, or the benchmark process itself), and everything else on the machine. † in the table marks "
                   "figures measured while other processes used ≥ 0.25 core. The last column lists every measured run of a load "
                   "test; the one in bold, the median, is the figure." % raw.get("machine", {}).get("nproc", "?"))
        out.append("")
        out.append("| run | requests/s | server cores | server CPU per request (µs) | client cores | other cores | every measured run: requests/s (p99 ms) |")
        out.append("|---|---:|---:|---:|---:|---:|---|")
        for name in names:
            cpu = raw[name + ".cpu"]
            wrk = raw.get(name, {})
            rate = "—"
            if wrk.get("requests") and wrk.get("seconds"):
                rate = f"{wrk['requests'] / wrk['seconds']:,.0f}"
            elif wrk.get("signatures_per_second"):
                rate = f"{wrk['signatures_per_second']:,.0f}"
            per = cpu.get("server_cpu_us_per_request")
            spread = raw.get(name + ".spread")
            runs = "—"
            if spread:
                runs = ", ".join(("**%s**" if i + 1 == spread["median_run"] else "%s") % f"{r:,.0f} ({p / 1000:.1f})"
                                 for i, (r, p) in enumerate(zip(spread["rates"], spread["p99_us"])))
            out.append(f"| {name} | {rate} | {cpu['server_cores']:.2f} | {'—' if per is None else f'{per:,.0f}'} | "
                       f"{cpu['client_cores']:.2f} | {cpu['other_cores']:.2f} | {runs} |")
    for key in sorted(k for k in raw if k.startswith("signet-crl-")):
        c = raw[key]
        out.append(f"- Signet CRL of {c['crl_entries']:,} entries: {c['crl_bytes'] / 1048576:.1f} MiB DER in {c['seconds']:.2f} s; RSS before "
                   f"{c['rss_before_kib'] / 1024:.0f} MiB, peak {c['peak_rss_kib'] / 1024:.0f} MiB (VmHWM reset: {c['peak_reset']}); "
                   f"inserting the rows took {c['insert_seconds']:.1f} s (not part of the figure).")
    rev = raw.get("revocation")
    if rev:
        out.append("- Revocation rounds (ms to OCSP / CRL): " + ", ".join(
            f"{r['ocsp_ms']} / {r['crl_ms']}" for r in rev["rounds"]) + f", polling every {rev['interval_ms']:.0f} ms.")
    sample = raw.get("list-sample")
    if sample:
        out.append(f"- The store list answer carried {sample['items']} certificates ({sample['bytes']:,} bytes).")
    mem = raw.get("server-memory")
    if mem:
        out.append(f"- Server memory after the list load: VmRSS {mem['vmrss_kib'] / 1024:.0f} MiB, VmHWM {mem['vmhwm_kib'] / 1024:.0f} MiB.")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default="")
    args = parser.parse_args()

    raw = load_raw(args.results)
    config = dict(item.split("=", 1) for item in args.config.split() if "=" in item)
    # crl_sizes has spaces; keep what follows it whole.
    if "crl_sizes=" in args.config:
        config["crl_sizes"] = args.config.split("crl_sizes=", 1)[1]
    raw["_config"] = config
    machine = raw.get("machine", {})
    rows = build(raw, machine.get("nproc"))
    rendered = table(rows)
    print(rendered)

    commands_path = os.path.join(args.results, "commands.txt")
    commands = open(commands_path).read().strip() if os.path.exists(commands_path) else ""
    json.dump({"machine": machine, "config": config, "figures": rows,
               "raw": {k: v for k, v in raw.items() if not k.startswith("_")}},
              open(os.path.join(args.results, "results.json"), "w"), indent=1, ensure_ascii=False)

    machine_text = (f"{machine.get('nproc', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory_gib', '?')} GiB, "
                    f"Linux {machine.get('kernel', '?')}; load average {' '.join(machine.get('loadavg_at_start', ['?']))} at the start, "
                    f"{' '.join(raw.get('end', {}).get('loadavg', ['?']))} at the end (the machine is shared; anything else running competes)")
    versions = ", ".join(machine.get(k, "?") for k in ("swift", "openssl", "cfssl", "wrk", "softhsm2", "sqlite"))
    text = open(args.template).read()
    for key, value in {
        "{{DATE}}": machine.get("date", "?"), "{{MACHINE}}": machine_text, "{{VERSIONS}}": versions,
        "{{COMMIT}}": machine.get("git_commit", "?"),
        "{{SOURCE}}": f"`{machine.get('source_dir', '?')}`, built into `{machine.get('scratch', '?')}`", "{{TABLE}}": rendered, "{{DERIVED}}": derived(raw, rows),
        "{{COMMANDS}}": commands, "{{CONFIG}}": ", ".join(f"{k} {v}" for k, v in config.items()),
        "{{MET}}": str(sum(1 for r in rows if r["met"])), "{{TARGETS}}": str(sum(1 for r in rows if r["target"])),
    }.items():
        text = text.replace(key, value)
    with open(args.out, "w") as out:
        out.write(text)


if __name__ == "__main__":
    main()
