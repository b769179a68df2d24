"""6. Learning: what the verify callback costs per connection."""

import glob
import os
import re
import shutil
import time
import types
from concurrent.futures import ThreadPoolExecutor

from harness import httpd as H, names, pki as P, tls, vhosts

from benchlib.common import BENCH_BIN, median, run, shell_words


class Learning:
    """Section 6 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

    # What the module installs with SSL_CTX_set_cert_verify_callback on a
    # vhost whose list it trims.
    VERIFY_CALLBACK = "verify_and_learn"

    # name, SSLVerifyClient, directives, does the client send a certificate
    LEARN_VHOSTS = (
        ("learn", "require", "TLSInteropCALearn on", True),
        ("count", "require", "TLSInteropCALearn off", True),
        ("handcut", "require", "TLSInteropCAListLimit off", True),
        ("untrimmed", "require", "TLSInteropCAListLimit off", True),
        ("learn-nocert", "optional", "TLSInteropCALearn on", False),
        ("count-nocert", "optional", "TLSInteropCALearn off", False),
    )

    LEARN_LABELS = {
        "learn": "learning on (the default)",
        "count": "TLSInteropCALearn off",
        "handcut": "the same names in SSLCADNRequestFile, "
                   "TLSInteropCAListLimit off: no callback",
        "untrimmed": "TLSInteropCAListLimit off: all 252 names, no callback",
        "learn-nocert": "learning on, no client certificate",
        "count-nocert": "TLSInteropCALearn off, no client certificate",
    }

    def learn_label(self, name):
        return "`%s`: %s" % (name, self.LEARN_LABELS[name])

    def make_hier_pki(self):
        """A client-auth bundle shaped like an enterprise's: 12 roots with
        long names, 20 issuing CAs under each, 252 names.  The issuing CA
        with the longest name has a key of its own and issues the client's
        certificate."""
        p = P.Pki(os.path.join(self.root, "hier-pki"))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            roots = list(pool.map(
                lambda item: p.ca("root-%02d" % item[0], item[1]),
                enumerate(names.subjects(12, seed=1212))))
            plan = []
            for root in roots:
                attrs = dict(root.subject)
                plan += [(root, [("C", attrs["C"]), ("O", attrs["O"]),
                                 ("OU", "Client Authentication"),
                                 ("CN", "%s Issuing CA %02d"
                                  % (attrs["O"][:40], k))])
                         for k in range(20)]
            issuing = max(range(len(plan)), key=lambda i: len(
                names.openssl_subject(plan[i][1])))
            shared = p.filler_key()
            cas = list(pool.map(
                lambda i: p.ca("int-%03d" % i, plan[i][1], issuer=plan[i][0],
                               key=None if i == issuing else shared),
                range(len(plan))))
        leaf = p.leaf("client", [("CN", "bench client")], cas[issuing],
                      client=True)
        return types.SimpleNamespace(
            pki=p, cas=roots + cas, issuer=cas[issuing], key=leaf.key,
            bundle=p.bundle("hier.pem", roots + cas),
            chain=p.bundle("client-chain.pem", [leaf, cas[issuing]]),
            handcut=None)

    def learn_vhost(self, port, name, hier):
        _, verify, extra, _ = [v for v in self.LEARN_VHOSTS if v[0] == name][0]
        if name == "handcut":
            extra += "\nSSLCADNRequestFile " + hier.handcut
        return vhosts.ssl_vhost(port, self.server_cert, hier.bundle,
                                extra=extra, verify=verify)

    def learn_body(self, ports, hier):
        return vhosts.listen(*ports.values()) + "".join(
            self.learn_vhost(ports[name], name, hier) for name in ports)

    def hsrate_cert(self, port, hier, cert, seconds=None, count=None,
                    timeout=None):
        """Full TLS 1.3 handshakes, each with one GET of small.html, for
        seconds or count times; returns (handshakes/s, command)."""
        cmd = [os.path.join(BENCH_BIN, "hsrate"), "-tls1_3"]
        cmd += ["-count", str(count)] if count else ["-seconds", str(seconds)]
        if cert:
            cmd += ["-cert", hier.chain, "-key", hier.key]
        cmd += ["-get", "/small.html", "127.0.0.1", str(port)]
        out = run(cmd, timeout=timeout or (seconds or 0) + 600)
        return float(re.search(r"([\d.]+) per second", out).group(1)), cmd

    def callgrind_calls(self, path):
        """One dump of the learning run: its label, total instructions, the
        module's own, and what the verify callback cost."""
        text = run(["callgrind_annotate", "--inclusive=no", "--tree=calling",
                    "--auto=no", "--threshold=100", path])
        label = re.search(r"^Trigger: dump (\S+)", text, re.M).group(1)
        total = int(re.search(r"^\s*([\d,]+) \S+\s+PROGRAM TOTALS", text,
                              re.M).group(1).replace(",", ""))
        line = re.compile(r"^\s*([\d,]+) \([\s\d.]+%\)\s+([*>])\s+(.+?)"
                          r"(?: \(([\d,]+)x\))? \[([^\]]*)\]\s*$")
        blocks, own_by_fn = {}, {}
        for block in text.split("\n\n"):
            rows = [line.match(row) for row in block.strip("\n").splitlines()]
            if not rows or not rows[0] or rows[0].group(2) != "*":
                continue
            fn, obj = rows[0].group(3), rows[0].group(5)
            self_ir = int(rows[0].group(1).replace(",", ""))
            callees = [(m.group(3), int(m.group(1).replace(",", "")),
                        int((m.group(4) or "0").replace(",", "")), m.group(5))
                       for m in rows[1:] if m and m.group(2) == ">"]
            if obj.endswith("mod_tlsinterop.so"):
                short = fn.rsplit(":", 1)[-1]
                own_by_fn[short] = own_by_fn.get(short, 0) + self_ir
                blocks[short] = (self_ir, callees)
        cb = {"calls": 0, "inside": 0, "verify": 0, "callees": []}
        if self.VERIFY_CALLBACK in blocks:
            self_ir, callees = blocks[self.VERIFY_CALLBACK]
            cb["inside"] = self_ir + sum(c[1] for c in callees)
            for fn, ir, calls, _ in callees:
                if fn.endswith("X509_verify_cert"):
                    cb["verify"], cb["calls"] = ir, calls
            # Everything the callback reaches besides X509_verify_cert: its
            # callees, and those of the module's functions among them.
            seen, todo = set(), [self.VERIFY_CALLBACK]
            while todo:
                for fn, ir, calls, obj in blocks.get(todo.pop(), (0, []))[1]:
                    short = fn.rsplit(":", 1)[-1]
                    if short == "X509_verify_cert" or short in seen:
                        continue
                    seen.add(short)
                    cb["callees"].append(short)
                    if obj.endswith("mod_tlsinterop.so"):
                        todo.append(short)
        return label, total, own_by_fn, cb

    def learning(self):
        quick = self.quick
        seconds, rounds = (0.5, 2) if quick else (5, 5)
        per_dump, cg_rounds = (3, 2) if quick else (30, 3)
        started = time.monotonic()
        hier = self.make_hier_pki()
        all_names = [v[0] for v in self.LEARN_VHOSTS]
        cert_of = {v[0]: v[3] for v in self.LEARN_VHOSTS}
        rate_names = [n for n in all_names if cert_of[n] or not quick]

        # The names the module keeps, in its order: the hand-cut list.
        port = H.free_ports(1)[0]
        probe = self.httpd("learn-probe", True, vhosts.listen(port)
                           + self.learn_vhost(port, "learn", hier))
        probe.start()
        kept = tls.certreq(port, "1.3").names
        probe.stop()
        by_name = {ca.rfc2253: ca for ca in hier.cas}
        hier.handcut = hier.pki.bundle("handcut.pem",
                                       [by_name[n] for n in kept])

        # Handshakes per second, the vhosts taking turns.
        ports = dict(zip(all_names, H.free_ports(len(all_names))))
        server = self.httpd("learning", True, self.learn_body(ports, hier))
        server.start()
        certreq = {n: tls.certreq(ports[n], "1.3")
                   for n in all_names if cert_of[n]}
        for name in rate_names:
            self.hsrate_cert(ports[name], hier, cert_of[name], count=20)
        rates, cmd = {}, None
        for r in range(rounds):
            for name in rate_names[r % len(rate_names):] \
                    + rate_names[:r % len(rate_names)]:
                rate, command = self.hsrate_cert(ports[name], hier,
                                                 cert_of[name], seconds)
                rates.setdefault(name, []).append(rate)
                cmd = command if name == "learn" else cmd
        server.stop()

        # Instructions: one httpd -X under callgrind, instrumented only once
        # started, dumping its counts after each vhost's handshakes.
        cports = dict(zip(all_names, H.free_ports(len(all_names))))
        cserver = self.httpd("learning-cg", True,
                             self.learn_body(cports, hier))
        prefix = cserver.path("run", "vgdb")

        def control(*args):
            out = run(["setpriv", "--reuid=www-data", "--regid=www-data",
                       "--clear-groups", "callgrind_control",
                       "--vgdb-prefix=" + prefix] + list(args)
                      + [str(self.callgrind_pid)], timeout=600)
            if "OK" not in out:
                raise RuntimeError("callgrind_control %s: %s" % (args, out))

        def drive():
            # The first handshakes wait for the configuration to be read.
            for name in all_names:
                self.hsrate_cert(cports[name], hier, cert_of[name], count=1,
                                 timeout=1800)
            control("--instr=on")
            for name in all_names:
                self.hsrate_cert(cports[name], hier, cert_of[name], count=1)
            control("--dump=warm-up")
            for r in range(cg_rounds):
                for name in all_names[r:] + all_names[:r]:
                    self.hsrate_cert(cports[name], hier, cert_of[name],
                                     count=per_dump)
                    control("--dump=%s:%d" % (name, r))
        out = self.callgrind_httpd(
            cserver, cports["learn"], drive,
            toggle="ap_run_process_connection",
            options=["--instr-atstart=no", "--vgdb-prefix=" + prefix])
        cg_cmd = self.last_callgrind_cmd
        # counts[vhost]: per round (instructions per connection, the
        # module's own, the callback's counts, the module's by function)
        dumps = {}
        for path in glob.glob(out + ".*"):
            label, total, own_by_fn, cb = self.callgrind_calls(path)
            if ":" in label:
                name, r = label.split(":")
                dumps[(name, int(r))] = (total / per_dump,
                                         sum(own_by_fn.values()) / per_dump,
                                         cb, own_by_fn)
        counts = {}
        for name, r in sorted(dumps):
            counts.setdefault(name, []).append(dumps[(name, r)])
        shutil.rmtree(cserver.dir, ignore_errors=True)
        self.learning_report(hier, kept, certreq, rates, cmd, counts,
                             (seconds, rounds, per_dump, cg_rounds),
                             cg_cmd, time.monotonic() - started)

    def learning_report(self, hier, kept, certreq, rates, cmd, counts,
                        sizes, cg_cmd, elapsed):
        seconds, rounds, per_dump, cg_rounds = sizes
        r = self.report
        issuer_kept = hier.issuer.rfc2253 in kept
        r.add("## 6. Learning: the verify callback\n\n"
              "A client-auth bundle shaped like an enterprise's: 12 roots "
              "with long names, 20 issuing CAs under each (252 names; an "
              "untrimmed TLS 1.3 CertificateRequest of %d bytes). The module "
              "keeps %d names (%d bytes). Six vhosts in one httpd trust it, "
              "each with `SSLVerifyClient require`, or `optional` for the "
              "handshakes without a certificate. The client, `bench/hsrate`, "
              "presents a leaf and its issuing CA, whose name is %s; every "
              "connection is a full TLS 1.3 handshake and one GET of a "
              "256-byte file (in TLS 1.3 only the response says that the "
              "server accepted the certificate). The hand-cut vhost "
              "advertises the very names the module keeps, from "
              "`SSLCADNRequestFile`, so it differs from the trimmed ones "
              "only in what the module does per connection. This section "
              "took %.0f s."
              % (certreq["untrimmed"].size, len(kept), certreq["learn"].size,
                 "among them" if issuer_kept else
                 "not among them (a client that filters by CA name would "
                 "not offer it: the case learning exists for)", elapsed))
        r.table(["vhost", "CertificateRequest, bytes (TLS 1.3)"],
                [[self.learn_label(n), certreq[n].size] for n in certreq])

        def med(name, index):
            return median([x[index] for x in counts.get(name, [])])

        def cb_med(name, key):
            return median([x[2][key] / per_dump for x in counts.get(name, [])])

        rows = []
        for name in [v[0] for v in self.LEARN_VHOSTS]:
            per_round = [x[0] for x in counts.get(name, [])]
            calls = cb_med(name, "calls")
            own_cb = cb_med(name, "inside") - cb_med(name, "verify")
            rows.append([self.learn_label(name), "{:,.0f}".format(
                med(name, 0)), ", ".join("{:,.0f}".format(x)
                                         for x in per_round),
                "%.2f" % calls,
                "{:,.0f}".format(own_cb / calls) if calls else "-",
                "{:,.0f}".format(med(name, 1))])
        r.add("Instructions per connection, counted by callgrind in `httpd "
              "-X` inside ap_run_process_connection (the TLS handshake, the "
              "request and the response). One httpd, started without "
              "instrumentation (`--instr-atstart=no`); once it serves, "
              "`callgrind_control --instr=on`, one warm-up connection per "
              "vhost, then %d round(s) of %d connections to each vhost in "
              "turn, each vhost's followed by `callgrind_control --dump` "
              "(which writes the counts so far and zeroes them). Command "
              "(httpd run as www-data):\n\n    %s\n\nand per dump "
              "`callgrind_annotate --inclusive=no --tree=calling`: the "
              "program total, the module's own code, and the verify "
              "callback `%s` with everything it calls (its inclusive "
              "count) less `X509_verify_cert`, which OpenSSL runs for every "
              "client certificate with or without the callback."
              % (cg_rounds, per_dump, shell_words(cg_cmd),
                 self.VERIFY_CALLBACK))
        r.table(["vhost", "instructions per connection (median)",
                 "rounds", "verify callbacks per connection",
                 "callback's cost per verified certificate (besides "
                 "X509_verify_cert)", "in mod_tlsinterop's own code, per "
                 "connection"], rows)

        def diff(a, b):
            pairs = [x[0] - y[0] for x, y in zip(counts.get(a, []),
                                                  counts.get(b, []))]
            return median(pairs), pairs
        noise = max([max(x[0] for x in v) - min(x[0] for x in v)
                     for v in counts.values() if len(v) > 1] or [None])
        rows = []
        for a, b in (("learn", "count"), ("count", "handcut"),
                     ("learn", "handcut"), ("learn", "untrimmed"),
                     ("learn-nocert", "count-nocert")):
            d, pairs = diff(a, b)
            rows.append(["%s - %s" % (a, b), "{:+,.0f}".format(d),
                         ", ".join("{:+,.0f}".format(x) for x in pairs),
                         "{:+,.0f}".format(med(a, 1) - med(b, 1))])
        r.table(["difference per connection", "instructions (median of "
                 "rounds)", "per round", "in the module's own code"], rows)
        per_cert = {n: (cb_med(n, "inside") - cb_med(n, "verify"))
                    / (cb_med(n, "calls") or 1) for n in ("learn", "count")}
        share = 100.0 * per_cert["learn"] / (med("learn", 0) or 1)

        def callees(name):
            return sorted(set(c for x in counts.get(name, [])
                              for c in x[2]["callees"]))
        allocates = [c for c in callees("learn") + callees("count")
                     if re.search(r"alloc|strdup|_new$|_dup$", c)]
        if noise is None:
            spread = ("With one round per vhost the spread of the totals "
                      "between rounds is not measured here; the full run "
                      "measures it")
        else:
            spread = ("Between rounds, the program total of one vhost moves "
                      "by up to %s instructions per connection (mostly the "
                      "heap's state: whether a realloc grows a buffer in "
                      "place or copies it; also random keys, nonces and "
                      "signatures)" % "{:,.0f}".format(noise))
        r.add("%s. So the callback is measured by its own inclusive count: "
              "%s instructions per verified certificate with learning on, "
              "%s with it off, %.3f %% of a connection. Besides "
              "X509_verify_cert it calls %s; %s. With learning off it calls "
              "%s."
              % (spread, "{:,.0f}".format(per_cert["learn"]),
                 "{:,.0f}".format(per_cert["count"]), share,
                 ", ".join("`%s`" % c for c in callees("learn")) or "nothing",
                 "none of them allocates" if not allocates else
                 "**allocating: %s**" % ", ".join(allocates),
                 "the same" if callees("count") == callees("learn") else
                 ", ".join("`%s`" % c for c in callees("count"))
                 or "nothing"))

        def by_function(name):
            fns = set(f for x in counts.get(name, []) for f in x[3])
            return {f: median([x[3].get(f, 0) / per_dump
                               for x in counts[name]]) for f in fns}
        trimmed, handcut = by_function("count"), by_function("handcut")
        extra = sorted(((trimmed.get(f, 0) - handcut.get(f, 0), f)
                        for f in set(trimmed) | set(handcut)),
                       reverse=True)
        r.add("The module's own code on a trimmed vhost against the "
              "hand-cut one (`count` - `handcut`, instructions per "
              "connection, by function): %s. These are the callbacks the "
              "module sets on a vhost whose list it trims."
              % (", ".join("`%s` %s" % (f, "{:+,.0f}".format(d))
                           for d, f in extra if abs(d) >= 1) or "none"))
        nocert_calls = cb_med("learn-nocert", "calls") \
            + cb_med("count-nocert", "calls")
        own_gap = med("learn-nocert", 1) - med("count-nocert", 1)
        r.target("no extra work on handshakes without a client certificate "
                 "(learning on vs off)", "verify callback called %d times; "
                 "module's own code %s vs %s instructions per connection "
                 "(totals %s vs %s; between rounds a total varies by %s)"
                 % (nocert_calls * per_dump * cg_rounds,
                    "{:,.0f}".format(med("learn-nocert", 1)),
                    "{:,.0f}".format(med("count-nocert", 1)),
                    "{:,.0f}".format(med("learn-nocert", 0)),
                    "{:,.0f}".format(med("count-nocert", 0)),
                    "unmeasured" if noise is None
                    else "{:,.0f}".format(noise)),
                 nocert_calls == 0 and abs(own_gap) <= 16)
        r.target("cost per verified client certificate, learning on and "
                 "off", "%s and %s instructions (callback besides "
                 "X509_verify_cert), %.3f %% of a connection's %s"
                 % ("{:,.0f}".format(per_cert["learn"]),
                    "{:,.0f}".format(per_cert["count"]), share,
                    "{:,.0f}".format(med("learn", 0))), None)

        def ratio(a, b):
            return median([x / y for x, y in zip(rates[a], rates[b])])
        rows = [[self.learn_label(n), "%.0f" % median(rates[n]),
                 ", ".join("%.0f" % x for x in rates[n])] for n in rates]
        r.add("Handshakes per second (each a full TLS 1.3 handshake with "
              "the client certificate and one GET), %d rounds of %g s per "
              "vhost, the vhosts taking turns in a rotating order:\n\n    %s"
              % (rounds, seconds, shell_words(cmd)))
        r.table(["vhost", "handshakes/s (median)", "rounds"], rows)
        pairs = [("learn", "count"), ("learn", "handcut"),
                 ("learn", "untrimmed")]
        if "learn-nocert" in rates:
            pairs.append(("learn-nocert", "count-nocert"))
        r.table(["ratio", "median of the per-round ratios"],
                [["%s / %s" % p, "%.3f" % ratio(*p)] for p in pairs])
        r.add("The client and httpd share the two cores, so rounds of one "
              "vhost vary by several per cent; read a ratio within that as "
              "no difference measurable. The untrimmed vhost has no "
              "callback, but builds and sends a CertificateRequest of %d "
              "bytes instead of %d (section 3 shows what that costs)."
              % (certreq["untrimmed"].size, certreq["learn"].size))
