"""2. Instructions per request: callgrind on httpd -X, loaded and not loaded,
and where the difference goes, function by function."""

import os
import re
import shutil
import types

from harness import http1, httpd as H, vhosts

from benchlib.common import BENCH_BIN, MODERN, median, shell_words, count

# The least any module could do for a browser's request (bench/README.md).
YARDSTICK_SO = os.path.join(BENCH_BIN, "mod_tlsi_floor.so")



def median_profile(profiles):
    """Key by key, the median of callgrind_functions()-like dicts."""
    keys = set().union(*profiles)
    return {k: median([p.get(k, 0) for p in profiles]) for k in keys}


def function_label(name, library=None):
    """A function as the profile tables show it: a stripped library's
    static function by its address."""
    if name.startswith("0x"):
        name = "static %#x" % int(name, 16)
        return name + (" in " + library if library else "")
    return "`%s`" % name


def total(runs, kind, side):
    """A side's instructions per request for a kind of request: the median
    of its rounds (runs as Instructions.instructions() collects them)."""
    return median([x[0][0] for x in runs[(kind, side)]])


def calls_or_cost(calls, instructions):
    """A caller's change: its calls, or, where they are as many, what they
    cost (e.g. a longer header scanned)."""
    if abs(calls) >= 0.5:
        return "%s%s call%s" % ("+" if calls > 0 else "", count(calls),
                                "" if abs(calls) < 1.05 else "s")
    return "as many calls, %+.0f instructions" % instructions

class Instructions:
    """Section 2 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

    def callgrind_run(self, name, module, requests, extra="", headers=()):
        """httpd -X serving requests keep-alive GETs on one connection:
        instructions in all, in mod_tlsinterop's code and in PCRE2, the
        command, and the profile by function (callgrind_functions()).
        module: True (mod_tlsinterop loaded), False (not loaded), or
        "yardstick" (bench/floor_module.c loaded instead)."""
        port = H.free_ports(1)[0]
        body = vhosts.listen(port) + self.request_vhost(port, extra=extra)
        if module == "yardstick":
            body = "LoadModule tlsi_floor_module %s\n%s" % (
                self.yardstick_so(), body)
        # One length for every server's directory name: httpd's per-request
        # path handling costs more for a longer DocumentRoot.
        server = self.httpd("%s-%04d" % (name, requests), module is True,
                            body)

        def drive():
            conn = http1.Conn(port)
            for _ in range(requests):
                conn.request(agent=MODERN, path="/small.html",
                             headers=headers)
            conn.close()
            self.wait_idle(server, port, requests)
        out = self.callgrind_httpd(server, port, drive)
        cmd = self.last_callgrind_cmd
        total = int(re.search(r"^(?:summary|totals): (\d+)", open(out).read(),
                              re.M).group(1))
        functions = self.callgrind_functions(out)
        own = sum(v for k, v in functions.items() if k[2] == "self"
                  and k[1] == "mod_tlsinterop.so")
        pcre = sum(v for k, v in functions.items() if k[2] == "self"
                   and "libpcre2" in k[1])
        return (total, own, pcre), cmd, functions

    def yardstick_so(self):
        """bench/floor_module.c as make bench builds it, copied into the
        run's directory (see bench.py's snapshot of the module)."""
        copy = os.path.join(self.root, "mod_tlsi_floor.so")
        if not os.path.exists(copy):
            shutil.copy2(YARDSTICK_SO, copy)
        return copy

    def per_request(self, name, module, few, many, extra="", headers=()):
        """Counts per request: the difference of a run with many requests
        and one with few, so that start-up and shutdown cancel out.  Also
        the profile, per request."""
        small, _, small_fn = self.callgrind_run(name, module, few, extra,
                                                headers)
        large, cmd, large_fn = self.callgrind_run(name, module, many, extra,
                                                  headers)
        profile = {k: (large_fn.get(k, 0) - small_fn.get(k, 0)) / (many - few)
                   for k in set(small_fn) | set(large_fn)}
        return [(b - a) / (many - few) for a, b in zip(small, large)], cmd, \
            profile

    # Requests as curl and wrk send them, and as browsers do: an HTTP/1.1
    # browser asks for keep-alive, so httpd itself writes the Keep-Alive
    # header and the module's hint only changes its timeout.
    REQUEST_KINDS = (("plain", "no Connection header (curl, wrk)", ()),
                     ("browser", "Connection: keep-alive (browsers)",
                      (("Connection", "keep-alive"),)))

    # The module loaded with parts of it switched off: label, directives.
    INSTRUCTION_PARTS = (
        ("no rule and no hint (TLSInteropLegacyAgent none, "
         "TLSInteropKeepAliveMargin off)",
         "TLSInteropLegacyAgent none\nTLSInteropKeepAliveMargin off"),
        ("the ten rules only (TLSInteropKeepAliveMargin off)",
         "TLSInteropKeepAliveMargin off"),
        ("the Keep-Alive hint only (TLSInteropLegacyAgent none)",
         "TLSInteropLegacyAgent none"))

    def instructions(self):
        few, many = 20, (120 if self.quick else 520)
        rounds = 1 if self.quick else 5
        runs, part_runs = {}, {}
        for i in range(rounds):
            for kind, _, headers in self.REQUEST_KINDS:
                for side, module in (("on", True), ("off", False),
                                     ("yardstick", "yardstick")):
                    runs.setdefault((kind, side), []).append(
                        self.per_request(self.cg_name(), module, few, many,
                                         headers=headers))
            # Parts of the module, without a Connection header (full mode)
            for label, extra in () if self.quick else self.INSTRUCTION_PARTS:
                part_runs.setdefault(label, []).append(self.per_request(
                    self.cg_name(), True, few, many, extra))
        profiles = {key: median_profile([x[2] for x in value])
                    for key, value in runs.items()}
        r = self.report
        r.add("## 2. Instructions per request\n\ncallgrind on `httpd -X` "
              "(one process) serving keep-alive GETs of the 256-byte file on "
              "one TLS connection, with a User-Agent that matches none of the "
              "ten rules. Every instruction of the process counts: a "
              "request's work does not end when ap_run_process_connection "
              "returns, as the event MPM then finishes writing the response, "
              "runs the log_transaction hooks (the module's among them) and "
              "frees the request's pool. Per request = (instructions with %d "
              "requests - instructions with %d) / %d, so that start-up, the "
              "TLS handshake, the close and shutdown cancel out; %d round(s) "
              "per side, alternated. Command (httpd run as www-data):\n\n"
              "    %s\n\nthen each profile read function by function (what "
              "`callgrind_annotate --inclusive=no --tree=caller` shows). Two "
              "kinds of request: without a Connection header, as curl and "
              "wrk send, and with `Connection: keep-alive`, as browsers send."
              % (many, few, many - few, rounds,
                 shell_words(runs[("plain", "on")][0][1])))
        rows = []
        deltas = {}
        for kind, label, _ in self.REQUEST_KINDS:
            on, off = total(runs, kind, "on"), total(runs, kind, "off")
            own = median([x[0][1] for x in runs[(kind, "on")]])
            pcre = median([x[0][2] for x in runs[(kind, "on")]])
            deltas[kind] = (on - off, 100 * (on / off - 1))
            rows.append([label, "%.0f" % off, "%.0f" % on,
                         "%+.0f (%+.2f %%)" % deltas[kind],
                         "%.0f" % own, "%.0f" % pcre])
        r.table(["request", "not loaded", "module loaded", "difference",
                 "in mod_tlsinterop's own code", "in PCRE2 (JIT code is not "
                 "attributed)"], rows)
        r.target("instructions per request up by <= 0.5 %",
                 "%+.2f %% (browser requests), %+.2f %% (no Connection "
                 "header)" % (deltas["browser"][1], deltas["plain"][1]),
                 max(d[1] for d in deltas.values()) <= 0.5)
        self.yardstick_report(runs, deltas)
        parts = {}
        for kind, label, _ in self.REQUEST_KINDS:
            on, off = profiles[(kind, "on")], profiles[(kind, "off")]
            self.profile_report(label, on, off)
            parts[kind] = self.difference_parts(on, off)
        self.explain_instructions(deltas, parts)
        self.instruction_parts(runs, part_runs)

    def yardstick_report(self, runs, deltas):
        """mod_tlsinterop against the yardstick, bench/floor_module.c: the
        least per-request work any module could do for the same
        responses."""
        def own(run, library):
            return sum(v for k, v in run[2].items()
                       if k[2] == "self" and k[1] == library)
        rows = []
        floor = {}
        for kind, label, _ in self.REQUEST_KINDS:
            on, off = total(runs, kind, "on"), total(runs, kind, "off")
            least = total(runs, kind, "yardstick")
            floor[kind] = (least - off, 100 * (least / off - 1))
            rows.append([label, "%.0f" % off, "%.0f (%+.0f, %+.2f %%)"
                         % ((least,) + floor[kind]),
                         "%.0f (%+.0f, %+.2f %%)" % ((on,) + deltas[kind]),
                         "%+.0f" % (on - least),
                         "%.0f / %.0f" % (
                             median([own(x, "mod_tlsinterop.so")
                                     for x in runs[(kind, "on")]]),
                             median([own(x, "mod_tlsi_floor.so")
                                     for x in runs[(kind, "yardstick")]]))])
        r = self.report
        r.add("**Against the least any module could do.** The same runs "
              "with `bench/floor_module.c` loaded instead of the module, a "
              "yardstick built by `make bench` and never installed: per "
              "request it reads the User-Agent and compares it with the "
              "connection's last one, adds a request filter ahead of "
              "HTTP_HEADER, and in it points r->server at a copy with the "
              "hint's timeout and reads the Connection header (adding the "
              "keep-alive token where it is missing), then puts both back. "
              "That is what any implementation of the documented behaviour "
              "must do under httpd 2.4's API (the reasons are below); it "
              "leaves out the rest of mod_tlsinterop's per-request work "
              "(matching a new User-Agent, the shutdown mode, the counters, "
              "the log variable, the check for a close after a promise).")
        r.table(["request", "not loaded", "yardstick", "mod_tlsinterop",
                 "mod_tlsinterop over the yardstick", "own code: "
                 "mod_tlsinterop / yardstick"], rows)
        r.add("What mod_tlsinterop does beyond the yardstick is the rest of "
              "its documented behaviour: the counters (`KeepAliveHints` on "
              "every hinted response), the log_transaction hook that checks "
              "a keep-alive promise against the close, the rule and fate "
              "bookkeeping, and the shutdown mode; most of the difference is "
              "its own code (right). A target of +1.0 %% for browsers leaves "
              "%.0f instructions over the yardstick for all of it."
              % (0.01 * total(runs, "browser", "off")
                 - floor["browser"][0]))
        r.target("browser requests up by <= 1.0 % (issue 18)",
                 "%+.2f %% (the yardstick: %+.2f %%)"
                 % (deltas["browser"][1], floor["browser"][1]),
                 deltas["browser"][1] <= 1.0)

    PROFILE_ROWS = 15

    def profile_report(self, label, on, off):
        """Where a kind of request's extra instructions go: the functions
        whose own instructions per request differ most between the module
        loaded (profile on) and not (off), and what called them."""
        diff = {k: on.get(k, 0) - off.get(k, 0) for k in set(on) | set(off)}
        own, by_lib, callers, calls = {}, {}, {}, {}
        for key, value in diff.items():
            if key[2] == "self":
                own[key[:2]] = value
                by_lib[key[1]] = by_lib.get(key[1], 0) + value
            else:
                caller = callers.setdefault(key[:2], {}).setdefault(
                    key[3:], [0, 0])
                caller[key[2] == "ir"] += value
        for side, profile in enumerate((on, off)):
            for key, value in profile.items():
                if key[2] == "calls":
                    calls.setdefault(key[:2], [0, 0])[side] += value
        total = sum(own.values())
        top = sorted((k for k in own if abs(own[k]) >= 0.5),
                     key=lambda k: -abs(own[k]))[:self.PROFILE_ROWS]
        rows = []
        for fn in top:
            near = sorted(callers.get(fn, {}).items(),
                          key=lambda kv: -abs(kv[1][1]))
            near = [(c, d) for c, d in near if abs(d[0]) >= 0.5
                    or abs(d[1]) >= max(2, abs(own[fn]) / 10)][:3]
            rows.append([function_label(fn[0]), fn[1],
                         "%+.0f" % own[fn],
                         "%s / %s" % tuple(count(c) for c in
                                           calls.get(fn, (0, 0))),
                         ", ".join("%s (%s)" % (function_label(*c),
                                                calls_or_cost(*d))
                                   for c, d in near) or "-"])
        self.report.add(
            "Profile of the difference, %s: both sides' profiles function "
            "by function, as `callgrind_annotate --inclusive=no "
            "--tree=caller` shows them, per request (median of the rounds), "
            "module loaded minus not loaded. The "
            "functions' own instructions add up to %+.0f; the %d whose own "
            "instructions differ most:" % (label, total, len(top)))
        self.report.table(
            ["function", "library", "own instructions", "calls, loaded / "
             "not loaded", "callers whose calls to it changed (or, for as "
             "many calls, the instructions in them)"], rows)
        self.report.add("By library: " + ", ".join(
            "%s %+.0f" % (lib, value) for lib, value in
            sorted(by_lib.items(), key=lambda kv: -abs(kv[1]))
            if abs(value) >= 0.5) + ".")

    # Called by the module, but the response itself: its pass down the
    # filter chain, which httpd makes without the module too.
    NOT_THE_MODULES = ("ap_pass_brigade",)

    def difference_parts(self, on, off):
        """A profile difference in three parts: the module's own
        instructions; those in the functions of httpd, APR and libc it calls
        itself, callee by callee (calls, instructions, callers); and the
        rest, httpd's and the libraries' work that follows from it.  Also
        the functions' own differences, for the text."""
        module = "mod_tlsinterop.so"
        diff = {k: on.get(k, 0) - off.get(k, 0) for k in set(on) | set(off)}
        own = {k[0]: v for k, v in diff.items()
               if k[2] == "self" and k[1] == module}
        by_name, by_lib = {}, {}
        for key, value in diff.items():
            if key[2] == "self":
                by_name[key[0]] = by_name.get(key[0], 0) + value
                by_lib[key[1]] = by_lib.get(key[1], 0) + value
        called = {}
        for key, value in diff.items():
            if key[2] == "self" or key[4] != module or key[1] == module \
                    or key[0] in self.NOT_THE_MODULES:
                continue
            entry = called.setdefault(key[0], [0, 0, set()])
            entry[key[2] == "ir"] += value
            if key[2] == "calls" and value >= 0.5:
                entry[2].add(key[3])
        total = sum(v for k, v in diff.items() if k[2] == "self")
        rest = total - sum(own.values()) - sum(c[1] for c in called.values())
        return types.SimpleNamespace(total=total, own=own, called=called,
                                     rest=rest, by_name=by_name,
                                     by_lib=by_lib)

    def explain_instructions(self, deltas, parts):
        """What the difference is made of and why it stays: the text of
        section 2, from this run's profiles."""
        r = self.report
        browser, plain = parts["browser"], parts["plain"]

        def called(p, name):
            return p.called.get(name, [0, 0, set()])[1]

        def own(p, *names):
            return sum(p.by_name.get(n, 0) for n in names)
        rows = []
        for kind, label, _ in self.REQUEST_KINDS:
            p = parts[kind]
            rows.append([label, "%+.0f" % p.total,
                         "%.0f" % sum(p.own.values()),
                         "%.0f" % sum(c[1] for c in p.called.values()),
                         "%.0f" % p.rest])
        r.add("The difference in three parts: the module's own code; the "
              "httpd, APR and libc functions it calls (each call's "
              "instructions, callees included; its pass of the response "
              "down the filter chain is httpd's work with or without it and "
              "not counted here); and the rest, work of httpd and the "
              "libraries that follows from what the module did.")
        r.table(["request", "difference (profiles)", "module's own code",
                 "in functions it calls", "the rest"], rows)
        r.table(["function the module calls", "browser: calls, "
                 "instructions", "no Connection header: calls, instructions",
                 "called from"],
                [["`%s`" % name,
                  "%s, %.0f" % (count(browser.called.get(name, [0, 0])[0]),
                                called(browser, name)),
                  "%s, %.0f" % (count(plain.called.get(name, [0, 0])[0]),
                                called(plain, name)),
                  ", ".join(sorted(browser.called.get(name, [0, 0, set()])[2]
                                   | plain.called.get(name,
                                                      [0, 0, set()])[2]))]
                 for name in sorted(set(browser.called) | set(plain.called),
                                    key=lambda n: -called(plain, n))
                 if max(abs(browser.called.get(name, [0])[0]),
                        abs(plain.called.get(name, [0])[0])) >= 0.5])
        r.add(
            "**Why these instructions remain.** For a browser's request "
            "(%+.0f here, %+.2f %%) each part is either the feature or the "
            "least any module could spend on it:\n\n"
            "- *The module's own code*, %.0f instructions: the rule look-up "
            "in post_read_request, insert_filter, the filter (`%s`, %.0f: "
            "the decision, the hint, putting r->server back, the fate), "
            "log_transaction and the counters. Each request's User-Agent is "
            "read once; a connection keeps its last User-Agent, the rule it "
            "matched and its last hint, so a repeated request runs no "
            "match and no hint look-up.\n"
            "- *Reading two request headers*, `apr_table_get`, %.0f: the "
            "rules match the User-Agent, so it must be read, and compared "
            "(`strlen`, `memcmp`: %.0f) with the connection's last one to "
            "skip the match; whether httpd writes Keep-Alive at all depends "
            "on the request's Connection header, read after the handler "
            "(a RequestHeader directive may change it) with `strcmp` "
            "(%.0f) first for the usual exact `keep-alive`. A table "
            "look-up is the cheapest way httpd offers to read a header.\n"
            "- *The filter*, `ap_add_output_filter_handle`, %.0f, and one "
            "more hop down the chain: the close and the announced timeout "
            "must be settled after the handler and before "
            "ap_set_keepalive(), which runs inside httpd's HTTP_HEADER "
            "filter. httpd has no hook between the two; a connection filter "
            "runs after HTTP_HEADER; so a request filter is the only place. "
            "The one other way, replacing the function of httpd's own "
            "HTTP_HEADER filter record, would patch httpd for every module, "
            "vhost and plain-HTTP request, which no module should do. The "
            "filter stays in the chain after a response that ended in its "
            "first pass (ap_pass_brigade() set eos_sent), which saves "
            "removing it.\n"
            "- *The log variable*, `apr_table_setn`, %.0f: the module "
            "sets TLSINTEROP_CONNECTION (a write to r->subprocess_env, the "
            "table `%%{...}e` reads) only where some directive names it, "
            "and this configuration names it nowhere; a site that logs it "
            "pays one such write a request.\n"
            "- *The stopping check*, %.0f: a response that "
            "announced keep-alive is checked in log_transaction for a close "
            "the MPM decided meanwhile (a graceful stop), which is "
            "documented to be logged with its request line and counted. "
            "event and worker say when a child begins to stop (the "
            "child_stopping hook), so the check reads a flag; prefork does "
            "not, and there the module asks ap_mpm_query() (60 "
            "instructions).\n"
            "- *The rest*, %.0f: httpd calling one more module's hooks, and "
            "the filters after the module's walking past it, and the noise "
            "between runs (allocations, APR's hash seeds).\n\n"
            "Without a Connection header (curl, wrk: %+.0f, %+.2f %%) the "
            "same parts cost about the same, and the Keep-Alive hint adds "
            "the feature itself: httpd writes `Keep-Alive: timeout=T` and "
            "`Connection: Keep-Alive` only when the request carries a "
            "keep-alive token, so the module adds the token to the "
            "request's Connection header for the pass that writes the "
            "headers and takes it out again (`apr_table_setn`, "
            "`apr_table_unset`: %.0f), leaving httpd's keep-alive decision "
            "and its reasons to close untouched. httpd then does what it "
            "does for a browser's request: it scans the token "
            "(`ap_find_token`, %+.0f), formats the header "
            "(`apr_vformatter` and its callers, %+.0f), checks and writes "
            "two more header lines (`ap_scan_http_token`, "
            "`ap_scan_http_field_content`, `apr_brigade_writev`, "
            "`memcpy`: %+.0f) and encrypts them (libcrypto, %+.0f). That "
            "is most of the rest, %.0f, and no design "
            "can avoid it: those bytes are what such a client is told. "
            "A site that does not want them sets "
            "`TLSInteropKeepAliveMargin off`."
            % (deltas["browser"][0], deltas["browser"][1],
               sum(browser.own.values()), "connection_filter_out",
               browser.own.get("connection_filter_out", 0),
               called(browser, "apr_table_get"),
               called(browser, "strlen") + called(browser, "memcmp")
               + called(browser, "__strlen_avx2")
               + called(browser, "__memcmp_avx2_movbe"),
               called(browser, "strcmp") + called(browser, "__strcmp_avx2"),
               called(browser, "ap_add_output_filter_handle"),
               called(browser, "apr_table_setn"),
               called(browser, "ap_mpm_query")
               + called(browser, "apr_atomic_read32"), browser.rest,
               deltas["plain"][0], deltas["plain"][1],
               called(plain, "apr_table_setn") - called(browser,
                                                        "apr_table_setn")
               + called(plain, "apr_table_unset"),
               own(plain, "ap_find_token"),
               own(plain, "apr_vformatter", "apr_pvsprintf", "apr_psprintf"),
               own(plain, "ap_scan_http_token", "ap_scan_http_field_content",
                   "apr_brigade_writev", "__memcpy_avx_unaligned_erms"),
               sum(v for k, v in plain.by_lib.items() if "libcrypto" in k),
               plain.rest))

    def instruction_parts(self, runs, part_runs):
        """The module loaded with parts of it switched off, against not
        loaded, for requests without a Connection header (full mode)."""
        if self.quick:
            return
        offs = [x[0][0] for x in runs[("plain", "off")]]
        off = median(offs)
        rows = []
        for label, _ in self.INSTRUCTION_PARTS:
            per = median([x[0][0] for x in part_runs[label]])
            rows.append([label, "%.0f" % per, "%+.0f (%+.2f %%)"
                         % (per - off, 100 * (per / off - 1)),
                         "%.0f" % median([x[0][1] for x in part_runs[label]])])
        r = self.report
        r.add("Where the difference comes from, for requests without a "
              "Connection header: the module loaded with parts of it "
              "switched off, against not loaded (same rounds).")
        r.table(["module loaded with", "instructions per request",
                 "against not loaded", "in mod_tlsinterop's own code"], rows)
        r.add("Requests that no rule and no hint concern cost little: the "
              "module's three per-request hooks (post_read_request, "
              "insert_filter, log_transaction) return after a look at the "
              "server's and the connection's state, the column on the "
              "right, and httpd spends a few instructions more on calling "
              "one more module's hooks and merging its per-directory "
              "configuration. Everything else in that row is noise: between "
              "rounds one side's count varies by %.0f instructions a request "
              "here (malloc's and the TLS library's allocations, APR's hash "
              "seeds, which differ from run to run). Matching the ten rules "
              "costs little because a connection remembers its last "
              "User-Agent and the rule it matched. The hint's cost is nearly "
              "all httpd's own, as above. An admin who wants neither turns "
              "the hint off with `TLSInteropKeepAliveMargin off`."
              % (max(offs) - min(offs)))
