# mod_tlsinterop: build, test, install and demo.
#
#   make            build the module, the tlsinterop-probe tool, test clients
#   make test       install missing Debian packages, build, run every test
#   make install    install the module (apxs -i) and tlsinterop-probe
#   make demo       start a private httpd on 127.0.0.1 that shows the module
#   make demo-stop  stop it
#   make clean      remove build output

APXS      ?= apxs
PYTHON    ?= /usr/bin/python3
CC        ?= gcc
DEMO_PORT ?= 8443
BINDIR    ?= /usr/local/bin

comma     := ,
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
SSL_LIBS  = -lssl -lcrypto
MOD_LIBS  = $(SSL_LIBS) -lpcre2-8
APR_CFLAGS = $(shell pkg-config --cflags apr-1 2>/dev/null)
APR_LIBS   = $(shell pkg-config --libs apr-1 2>/dev/null)

MOD_DIR   = mod_tlsinterop
MOD_SRC   = $(wildcard $(MOD_DIR)/*.c)
MOD_HDR   = $(wildcard $(MOD_DIR)/*.h)
MOD_SO    = $(MOD_DIR)/.libs/mod_tlsinterop.so

# The pure core: needs only OpenSSL and APR, so unit tests link it directly.
CORE_SRC  = $(addprefix $(MOD_DIR)/,tlsi_agent.c tlsi_args.c tlsi_calist.c \
              tlsi_careq.c tlsi_certmsg.c tlsi_fragment.c tlsi_names.c \
              tlsi_probe.c)

PROBE      = tools/tlsinterop-probe
PROBE_SRC  = $(wildcard tools/*.c) $(MOD_DIR)/tlsi_careq.c

UNIT_TESTS = $(patsubst tests/unit/%.c,tests/unit/bin/%,$(wildcard tests/unit/test_*.c))
CLIENTS    = $(patsubst %.c,%,$(wildcard tests/clients/*.c))

.PHONY: all module tools clients unit-tests test unit integration deps install \
        demo demo-stop clean bench-fragfit

all: module tools clients

module: $(MOD_SO)

$(MOD_SO): $(MOD_SRC) $(MOD_HDR)
	$(APXS) -c $(addprefix -Wc$(comma),$(WARN)) -o $(MOD_DIR)/mod_tlsinterop.la \
	    $(MOD_SRC) $(MOD_LIBS) >$(MOD_DIR)/build.log 2>&1 \
	    || { cat $(MOD_DIR)/build.log; exit 1; }
	@grep -E 'warning|error' $(MOD_DIR)/build.log | grep -v Werror= || true

tools: $(PROBE)

# OpenSSL only at run time; it shares the module's CertificateRequest parser.
$(PROBE): $(PROBE_SRC) $(wildcard tools/*.h) $(MOD_DIR)/tlsi_careq.h
	$(CC) $(WARN) -O2 -g -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $(PROBE_SRC) $(SSL_LIBS)

clients: $(CLIENTS)

# The clients share the tlsinterop-probe tool's record tracking.
tests/clients/%: tests/clients/%.c tools/probe_track.c tools/probe_track.h
	$(CC) $(WARN) -O2 -g -o $@ $< tools/probe_track.c $(SSL_LIBS)

unit-tests: $(UNIT_TESTS)

tests/unit/bin/%: tests/unit/%.c $(CORE_SRC) $(MOD_HDR) tests/unit/*.h
	@mkdir -p tests/unit/bin
	$(CC) $(WARN) -O1 -g -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_SRC) \
	    $(MOD_LIBS) $(APR_LIBS) -lpthread

# make test: everything, from a fresh Debian 12 as root.
test: deps
	$(MAKE) all unit-tests
	$(MAKE) unit
	$(MAKE) integration

unit: unit-tests
	@set -e; for t in $(UNIT_TESTS); do $$t; done

integration: all
	cd tests && $(PYTHON) -m pytest -p no:cacheprovider integration $(PYTEST_ARGS)

deps:
	@tests/install-deps.sh

# Cost of fitting the CA list to a negotiated max_fragment_length.
bench/fragfit_cost: bench/fragfit_cost.c $(CORE_SRC) $(MOD_HDR)
	$(CC) $(WARN) -O2 -g -I$(MOD_DIR) $(APR_CFLAGS) -o $@ $< $(CORE_SRC) \
	    $(MOD_LIBS) $(APR_LIBS) -lpthread

bench-fragfit: bench/fragfit_cost
	bench/fragfit_cost

install: module tools
	$(APXS) -i -n tlsinterop $(MOD_DIR)/mod_tlsinterop.la
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(PROBE) $(DESTDIR)$(BINDIR)/tlsinterop-probe

demo: deps
	$(MAKE) all
	@$(PYTHON) tests/demo.py start --port $(DEMO_PORT)

demo-stop:
	@$(PYTHON) tests/demo.py stop

clean:
	rm -rf $(MOD_DIR)/.libs $(MOD_DIR)/*.la $(MOD_DIR)/*.lo $(MOD_DIR)/*.slo \
	       $(MOD_DIR)/*.o $(MOD_DIR)/build.log tests/unit/bin $(CLIENTS) \
	       bench/fragfit_cost $(PROBE)
	find tests -name __pycache__ -type d -prune -exec rm -rf {} +
