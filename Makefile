# mod_tlsinterop: build, test, install and demo.
#
#   make            build the module, the tlsinterop-probe tool, test clients
#   make test       install missing Debian packages, build, run every test
#                   (SANITIZE=1: the module under ASan and UBSan)
#   make install    install the module (apxs -i), tlsinterop-probe and its
#                   man page (DESTDIR=... for a staging root)
#   make deb        build the Debian package libapache2-mod-tlsinterop into
#                   dist/ from a clean copy of the tracked files, run lintian
#   make demo       start a private httpd on 127.0.0.1 that shows the module
#   make demo-stop  stop it
#   make bench      benchmarks, written to bench/RESULTS.md (QUICK=1: short)
#   make fuzz       run each libFuzzer target FUZZ_SECONDS (default 300)
#   make clean      remove build output

APXS      ?= apxs
PYTHON    ?= /usr/bin/python3
CC        ?= gcc
DEMO_PORT ?= 8443
BINDIR    ?= /usr/local/bin
MANDIR    ?= /usr/local/share/man
LIBEXECDIR ?= $(shell $(APXS) -q LIBEXECDIR)
DEB_DIST  ?= dist

comma     := ,
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
SSL_LIBS  = -lssl -lcrypto
MOD_LIBS  = $(SSL_LIBS) -lpcre2-8 -lm
APR_CFLAGS = $(shell pkg-config --cflags apr-1 2>/dev/null)
APR_LIBS   = $(shell pkg-config --libs apr-1 2>/dev/null)

MOD_DIR   = mod_tlsinterop
MOD_SRC   = $(wildcard $(MOD_DIR)/*.c)
MOD_HDR   = $(wildcard $(MOD_DIR)/*.h)
MOD_SO    = $(MOD_DIR)/.libs/mod_tlsinterop.so

# make test SANITIZE=1: the module built with ASan and UBSan.  httpd is not
# built so, so the tests start it with the sanitizer runtimes preloaded,
# which also supply the module's __asan_ and __ubsan_ symbols.
SAN_CFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
# CPPFLAGS, CFLAGS and LDFLAGS come from the environment or the command line
# (the Debian build passes dpkg-buildflags' hardening flags).
MOD_CFLAGS = $(WARN) $(if $(SANITIZE),$(SAN_CFLAGS) -O1 -g) $(CPPFLAGS) $(CFLAGS)

# The pure core: needs only OpenSSL and APR, so unit tests link it directly.
CORE_SRC  = $(addprefix $(MOD_DIR)/,tlsi_agent.c tlsi_args.c tlsi_calist.c \
              tlsi_careq.c tlsi_certmsg.c tlsi_cover.c tlsi_fragment.c \
              tlsi_learned.c tlsi_names.c tlsi_probe.c)

PROBE      = tools/tlsinterop-probe
PROBE_SRC  = $(wildcard tools/*.c) $(MOD_DIR)/tlsi_careq.c

UNIT_TESTS = $(patsubst tests/unit/%.c,tests/unit/bin/%,$(wildcard tests/unit/test_*.c))
CLIENTS    = $(patsubst %.c,%,$(wildcard tests/clients/*.c))

# libFuzzer targets for the pure core (Debian clang), with ASan and UBSan.
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,tests/fuzz/bin/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 300
# make test runs each target this long on its seeds
FUZZ_SMOKE_SECONDS ?= 10

.PHONY: all module tools clients unit-tests test unit integration deps install \
        demo demo-stop clean bench bench-deps bench-fragfit fuzz fuzz-targets \
        fuzz-smoke deb deb-deps FORCE

all: module tools clients

module: $(MOD_SO)

# Rebuilt whenever the flags change, so a sanitizer build never lingers.
$(MOD_DIR)/build.flags: FORCE
	@echo '$(MOD_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(MOD_CFLAGS) $(LDFLAGS)' >$@

$(MOD_SO): $(MOD_SRC) $(MOD_HDR) $(MOD_DIR)/build.flags
	$(APXS) -c $(addprefix -Wc$(comma),$(MOD_CFLAGS)) \
	    $(addprefix -Wl$(comma),$(LDFLAGS)) -o $(MOD_DIR)/mod_tlsinterop.la \
	    $(MOD_SRC) $(MOD_LIBS) >$(MOD_DIR)/build.log 2>&1 \
	    || { cat $(MOD_DIR)/build.log; exit 1; }
	@grep -E 'warning|error' $(MOD_DIR)/build.log | grep -v Werror= || true

tools: $(PROBE)

# OpenSSL only at run time; it shares the module's CertificateRequest parser.
$(PROBE): $(PROBE_SRC) $(wildcard tools/*.h) $(MOD_DIR)/tlsi_careq.h
	$(CC) $(WARN) -O2 -g $(CPPFLAGS) $(CFLAGS) -I$(MOD_DIR) $(APR_CFLAGS) \
	    $(LDFLAGS) -o $@ $(PROBE_SRC) $(SSL_LIBS)

clients: $(CLIENTS)

# The clients share the tlsinterop-probe tool's record tracking.
tests/clients/%: tests/clients/%.c tools/probe_track.c tools/probe_track.h
	$(CC) $(WARN) -O2 -g -o $@ $< tools/probe_track.c $(SSL_LIBS)

unit-tests: $(UNIT_TESTS)

tests/unit/bin/%: tests/unit/%.c $(CORE_SRC) $(MOD_HDR) tests/unit/*.h
	@mkdir -p tests/unit/bin
	$(CC) $(WARN) -O1 -g -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_SRC) \
	    $(MOD_LIBS) $(APR_LIBS) -lpthread

fuzz-targets: $(FUZZ_TARGETS)

tests/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(CORE_SRC) $(MOD_HDR)
	@mkdir -p tests/fuzz/bin
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_SRC) \
	    $(MOD_LIBS) $(APR_LIBS) -lpthread

fuzz: deps fuzz-targets
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-targets
	tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

# make test: everything, from a fresh Debian 12 as root.
test: deps
	$(MAKE) all unit-tests fuzz-targets
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration

unit: unit-tests
	@set -e; for t in $(UNIT_TESTS); do $$t; done

integration: all
	cd tests && $(if $(SANITIZE),TLSI_SANITIZE=1 )$(PYTHON) -m pytest -p no:cacheprovider integration $(PYTEST_ARGS)

deps:
	@tests/install-deps.sh

# Cost of fitting the CA list to a negotiated max_fragment_length.
bench/fragfit_cost: bench/fragfit_cost.c $(CORE_SRC) $(MOD_HDR)
	$(CC) $(WARN) -O2 -g -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_SRC) \
	    $(MOD_LIBS) $(APR_LIBS) -lpthread

bench-fragfit: bench/fragfit_cost
	bench/fragfit_cost

bench/hsrate: bench/hsrate.c
	$(CC) $(WARN) -O2 -g -o $@ $< $(SSL_LIBS)

bench-deps:
	@EXTRA_PACKAGES="wrk valgrind iproute2" tests/install-deps.sh

# make bench QUICK=1 runs a short version of every comparison.
bench: bench-deps
	$(MAKE) all bench/hsrate bench/fragfit_cost
	$(PYTHON) bench/bench.py $(if $(QUICK),--quick)

install: module tools
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(APXS) -i -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -n tlsinterop \
	    $(MOD_DIR)/mod_tlsinterop.la
	install -m 755 $(PROBE) $(DESTDIR)$(BINDIR)/tlsinterop-probe
	install -m 644 $(PROBE).1 $(DESTDIR)$(MANDIR)/man1/tlsinterop-probe.1

# The Debian package, built from a clean copy of the tracked files (see
# tools/make-deb.sh); deb-deps prints the apt-get line for what is missing.
deb:
	@tools/make-deb.sh $(DEB_DIST)

deb-deps:
	@tools/make-deb.sh --deps-only

demo: deps
	$(MAKE) all
	@$(PYTHON) tests/demo.py start --port $(DEMO_PORT)

demo-stop:
	@$(PYTHON) tests/demo.py stop

clean:
	rm -rf $(MOD_DIR)/.libs $(MOD_DIR)/*.la $(MOD_DIR)/*.lo $(MOD_DIR)/*.slo \
	       $(MOD_DIR)/*.o $(MOD_DIR)/build.log $(MOD_DIR)/build.flags \
	       tests/unit/bin $(CLIENTS) \
	       bench/fragfit_cost bench/hsrate $(PROBE) tests/fuzz/bin dist
	find tests -name __pycache__ -type d -prune -exec rm -rf {} +

FORCE:
