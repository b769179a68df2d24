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
#   make bench      benchmarks, written to bench/RESULTS.md (QUICK=1: short;
#                   ONLY=step,... : some sections, merged into RESULTS.md)
#   make fuzz       run each libFuzzer target FUZZ_SECONDS (default 300)
#   make test-matrix  make demo and make test on Debian 11, 12 and 13, each
#                   in a fresh debootstrap root (RELEASES="trixie ..." for
#                   some of them)
#   make docs       render the probe's man page into docs/tlsinterop-probe.md
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
MOD_LIBS  = $(SSL_LIBS) -lpcre2-8
APR_CFLAGS = $(shell pkg-config --cflags apr-1 2>/dev/null)
APR_LIBS   = $(shell pkg-config --libs apr-1 2>/dev/null)

MOD_DIR   = mod_tlsinterop
MOD_SO    = $(MOD_DIR)/.libs/mod_tlsinterop.so

# make test SANITIZE=1: the module built with ASan and UBSan.  httpd is not
# built so, so the tests start it with the sanitizer runtimes preloaded,
# which also supply the module's __asan_ and __ubsan_ symbols.
SAN_CFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
# CPPFLAGS, CFLAGS and LDFLAGS come from the environment or the command line
# (the Debian build passes dpkg-buildflags' hardening flags).
PLAIN_CFLAGS = $(WARN) -O2 -g $(CPPFLAGS) $(CFLAGS)
BUILD_CFLAGS = $(if $(SANITIZE),$(WARN) $(SAN_CFLAGS) -O1 -g $(CPPFLAGS) \
               $(CFLAGS),$(PLAIN_CFLAGS))

# Every build output goes under build/ (ignored by git), except the
# module's own objects: apxs (libtool) writes them beside the sources in
# mod_tlsinterop/ (.libs/mod_tlsinterop.so, *.lo, *.slo, *.la).
BUILD = build

# The pure core (mod_tlsinterop/core): OpenSSL, APR and PCRE2 only, built
# once as a static library that the module, the probe, the unit tests and
# bench link.  It is compiled without httpd's include directory, so a core
# file that includes an httpd header does not build (and make test says
# which: tests/check-core.sh).
CORE_DIR  = $(MOD_DIR)/core
CORE_SRC  = $(wildcard $(CORE_DIR)/*.c)
CORE_HDR  = $(wildcard $(CORE_DIR)/*.h)
CORE_OBJ  = $(patsubst $(CORE_DIR)/%.c,$(BUILD)/core/%.o,$(CORE_SRC))
CORE_LIB  = $(BUILD)/core/libtlsi_core.a
CORE_LIBS = $(CORE_LIB) $(MOD_LIBS) $(APR_LIBS) -lpthread
# Under SANITIZE=1 the module and the unit tests link a sanitized build of
# the core; the probe, the clients and bench keep the plain one.
SAN_CORE_OBJ = $(patsubst $(CORE_DIR)/%.c,$(BUILD)/core-san/%.o,$(CORE_SRC))
SAN_CORE_LIB = $(BUILD)/core-san/libtlsi_core.a
MOD_CORE_LIB = $(if $(SANITIZE),$(SAN_CORE_LIB),$(CORE_LIB))

# The httpd glue: mod_tlsinterop*.c, linked with the core into the module.
GLUE_SRC  = $(wildcard $(MOD_DIR)/*.c)
GLUE_HDR  = $(wildcard $(MOD_DIR)/*.h)

# The probe's parts (record tracking, sockets, HTTP, --cert), a library
# the test clients link too.
PROBE      = $(BUILD)/bin/tlsinterop-probe
PROBE_MAN  = tools/tlsinterop-probe.1
TOOLS_OBJ  = $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(wildcard tools/probe_*.c))
TOOLS_LIB  = $(BUILD)/tools/libprobe.a

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
CLIENTS    = $(patsubst tests/clients/%.c,$(BUILD)/bin/%,$(wildcard tests/clients/*.c))

# libFuzzer targets for the pure core (Debian clang), with ASan and UBSan.
# Coverage-guided fuzzing needs the core itself instrumented: it gets a
# build of its own.
FUZZ_CC      ?= clang
FUZZ_SAN      = -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS    = $(FUZZ_SAN) -fsanitize=fuzzer
FUZZ_CORE_OBJ = $(patsubst $(CORE_DIR)/%.c,$(BUILD)/core-fuzz/%.o,$(CORE_SRC))
FUZZ_CORE_LIB = $(BUILD)/core-fuzz/libtlsi_core.a
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 300
# make test runs each target this long on its seeds
FUZZ_SMOKE_SECONDS ?= 10

.PHONY: all core module tools clients unit-tests test unit check-core \
        integration integration-dates deps install demo demo-stop clean bench bench-deps \
        bench-fragfit bench-hello docs fuzz fuzz-targets fuzz-smoke deb deb-deps test-matrix \
        FORCE

all: module tools clients

# Rebuilt whenever the flags change, so a sanitizer build never lingers.
$(BUILD)/build.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BUILD_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(BUILD_CFLAGS) $(LDFLAGS)' >$@

core: $(MOD_CORE_LIB)

$(BUILD)/core/%.o: $(CORE_DIR)/%.c $(CORE_HDR) $(BUILD)/build.flags
	@mkdir -p $(BUILD)/core
	$(CC) $(PLAIN_CFLAGS) -fPIC $(APR_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/core-san/%.o: $(CORE_DIR)/%.c $(CORE_HDR) $(BUILD)/build.flags
	@mkdir -p $(BUILD)/core-san
	$(CC) $(BUILD_CFLAGS) -fPIC $(APR_CFLAGS) -c -o $@ $<

$(SAN_CORE_LIB): $(SAN_CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

module: $(MOD_SO)

$(MOD_SO): $(GLUE_SRC) $(GLUE_HDR) $(MOD_CORE_LIB) $(BUILD)/build.flags
	$(APXS) -c $(addprefix -Wc$(comma),$(BUILD_CFLAGS)) -I$(CORE_DIR) \
	    $(addprefix -Wl$(comma),$(LDFLAGS)) -o $(MOD_DIR)/mod_tlsinterop.la \
	    $(GLUE_SRC) $(MOD_CORE_LIB) $(MOD_LIBS) >$(BUILD)/module.log 2>&1 \
	    || { cat $(BUILD)/module.log; exit 1; }
	@grep -E 'warning|error' $(BUILD)/module.log | grep -v -e Werror= \
	    -e 'against the static library' || true

tools: $(PROBE)

$(BUILD)/tools/%.o: tools/%.c $(wildcard tools/*.h) $(CORE_HDR) $(BUILD)/build.flags
	@mkdir -p $(BUILD)/tools
	$(CC) $(PLAIN_CFLAGS) -I$(CORE_DIR) $(APR_CFLAGS) -c -o $@ $<

$(TOOLS_LIB): $(TOOLS_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# It shares the module's CertificateRequest parser and legacy-agent rules.
$(PROBE): $(BUILD)/tools/tlsinterop-probe.o $(TOOLS_LIB) $(CORE_LIB)
	@mkdir -p $(BUILD)/bin
	$(CC) $(PLAIN_CFLAGS) $(LDFLAGS) -o $@ $< $(TOOLS_LIB) $(CORE_LIBS)

clients: $(CLIENTS)

# The clients share the probe's record tracking and connecting.
$(BUILD)/bin/%: tests/clients/%.c $(TOOLS_LIB) $(CORE_LIB) $(wildcard tools/*.h)
	@mkdir -p $(BUILD)/bin
	$(CC) $(WARN) -O2 -g -Itools -I$(CORE_DIR) $(APR_CFLAGS) -o $@ $< $(TOOLS_LIB) $(CORE_LIBS)

unit-tests: $(UNIT_TESTS)

$(BUILD)/unit/%: tests/unit/%.c $(MOD_CORE_LIB) $(CORE_HDR) tests/unit/*.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(WARN) -O1 -g $(if $(SANITIZE),$(SAN_CFLAGS)) -I$(CORE_DIR) \
	    $(APR_CFLAGS) -o $@ $< $(MOD_CORE_LIB) $(MOD_LIBS) $(APR_LIBS) -lpthread

check-core:
	@tests/check-core.sh $(CORE_DIR)

$(BUILD)/core-fuzz/%.o: $(CORE_DIR)/%.c $(CORE_HDR)
	@mkdir -p $(BUILD)/core-fuzz
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(APR_CFLAGS) -c -o $@ $<

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

fuzz-targets: $(FUZZ_TARGETS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_CORE_LIB)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(CORE_DIR) $(APR_CFLAGS) -o $@ $< \
	    $(FUZZ_CORE_LIB) $(MOD_LIBS) $(APR_LIBS) -lpthread

fuzz: deps fuzz-targets
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-targets
	tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

# make test: everything, from a fresh Debian 11, 12 or 13 as root.
test: deps
	$(MAKE) all unit-tests fuzz-targets
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) integration-dates

unit: check-core unit-tests
	@set -e; for t in $(UNIT_TESTS); do $$t; done

# The bench's yardstick too: test_bench.py checks it does what it claims.
integration: all $(BUILD)/bench/mod_tlsi_floor.so
	cd tests && $(if $(SANITIZE),TLSI_SANITIZE=1 )$(PYTHON) -m pytest -p no:cacheprovider integration $(PYTEST_ARGS)

# The tests that depend on the date, again with the clock two years ahead
# (libfaketime, for httpd and every client it starts): none may expire.
integration-dates: all
	cd tests && $(if $(SANITIZE),TLSI_SANITIZE=1 )faketime -f +730d $(PYTHON) -m pytest -p no:cacheprovider -m dates integration

deps:
	@setup/install-deps.sh

# The committed tree (a clone of HEAD), as a newcomer runs it, on each
# release: see tests/matrix/run.sh.
test-matrix:
	@EXTRA_PACKAGES=debootstrap setup/install-deps.sh
	tests/matrix/run.sh $(RELEASES)

# Cost of fitting the CA list to a negotiated max_fragment_length.
$(BUILD)/bench/fragfit_cost: bench/fragfit_cost.c $(CORE_LIB) $(CORE_HDR)
	@mkdir -p $(BUILD)/bench
	$(CC) $(WARN) -O2 -g -I$(CORE_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_LIBS)

bench-fragfit: $(BUILD)/bench/fragfit_cost
	$(BUILD)/bench/fragfit_cost

# Cost of recognising a client stack from its ClientHello.
$(BUILD)/bench/hello_cost: bench/hello_cost.c $(CORE_LIB) $(CORE_HDR)
	@mkdir -p $(BUILD)/bench
	$(CC) $(WARN) -O2 -g -I$(CORE_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_LIBS)

bench-hello: $(BUILD)/bench/hello_cost
	$(BUILD)/bench/hello_cost tests/fuzz/corpus/hello/*

$(BUILD)/bench/hsrate: bench/hsrate.c
	@mkdir -p $(BUILD)/bench
	$(CC) $(WARN) -O2 -g -o $@ $< $(SSL_LIBS)

# The yardstick of bench section 2: an httpd module, built as apxs would
# build one (its compiler flags and httpd's headers), into build/bench.
$(BUILD)/bench/mod_tlsi_floor.so: bench/floor_module.c
	@mkdir -p $(BUILD)/bench
	$(CC) $(WARN) -O2 -g -fPIC -shared $(shell $(APXS) -q CFLAGS) \
	    $(shell $(APXS) -q EXTRA_CPPFLAGS) -I$(shell $(APXS) -q INCLUDEDIR) \
	    $(APR_CFLAGS) -o $@ $<

bench-deps:
	@EXTRA_PACKAGES="wrk valgrind iproute2" setup/install-deps.sh

# make bench QUICK=1 runs a short version of every comparison.
bench: bench-deps
	$(MAKE) all $(BUILD)/bench/hsrate $(BUILD)/bench/fragfit_cost $(BUILD)/bench/hello_cost \
	    $(BUILD)/bench/mod_tlsi_floor.so
	$(PYTHON) bench/bench.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

install: module tools
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(APXS) -i -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -n tlsinterop \
	    $(MOD_DIR)/mod_tlsinterop.la
	install -m 755 $(PROBE) $(DESTDIR)$(BINDIR)/tlsinterop-probe
	install -m 644 $(PROBE_MAN) $(DESTDIR)$(MANDIR)/man1/tlsinterop-probe.1

# The Debian package, built from a clean copy of the tracked files (see
# packaging/make-deb.sh); deb-deps prints the apt-get line for what is missing.
deb:
	@packaging/make-deb.sh $(DEB_DIST)

deb-deps:
	@packaging/make-deb.sh --deps-only

# The probe's manual in docs/, rendered from its man page.
docs: docs/tlsinterop-probe.md

docs/tlsinterop-probe.md: tools/tlsinterop-probe.1 docs/render-manual.sh
	docs/render-manual.sh

demo: deps
	$(MAKE) all
	@$(PYTHON) demo/demo.py start --port $(DEMO_PORT)

demo-stop:
	@$(PYTHON) demo/demo.py stop

clean:
	rm -rf $(BUILD) dist \
	       $(MOD_DIR)/.libs $(MOD_DIR)/*.la $(MOD_DIR)/*.lo $(MOD_DIR)/*.slo \
	       $(MOD_DIR)/*.o
	find tests -name __pycache__ -type d -prune -exec rm -rf {} +

FORCE:
