# postfetch: build, test and install the fetcher, the milter and the schema.
# Plain GNU make. BUILD=dir builds out of tree (e.g. the sanitizer build).

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/postfetch
DESTDIR	?=
BUILD	?= .
CC	?= cc
PKG_CONFIG ?= pkg-config

# pkg-config is asked one package at a time, so that a missing .pc file
# costs only its own flags, and the packages it cannot find are named
# before the compiler fails on a header. demo, check and bench install the
# packages (deps) and only then build, in a sub-make that asks again.
PKGS		= libbsd-overlay openssl libpq
pkg		= $(foreach p,$(2),$(shell $(PKG_CONFIG) $(1) $(p) 2>/dev/null))
PKG_CFLAGS	:= $(call pkg,--cflags,$(PKGS) milter)
PKG_LIBS	:= $(call pkg,--libs,$(PKGS))
MILTER_LIBS	:= $(shell $(PKG_CONFIG) --libs milter 2>/dev/null || echo -lmilter)
PKG_MISSING	:= $(strip $(foreach p,$(PKGS) milter,$(if $(shell \
		    $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p))))

CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 \
	  -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -Icommon
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS	+= $(PKG_LIBS) -pthread

ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRCS	= $(wildcard common/*.c)
FETCHER_SRCS	= $(filter-out fetcher/main.c,$(wildcard fetcher/*.c))
MILTER_SRCS	= $(filter-out milter/main.c,$(wildcard milter/*.c))
UNIT_SRCS	= $(wildcard tests/unit/common_*.c tests/unit/fetcher_*.c \
		    tests/unit/milter_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBCOMMON	= $(BUILD)/common/libcommon.a
LIBFETCHER	= $(BUILD)/fetcher/libfetcher.a
LIBMILTER	= $(BUILD)/milter/libpfmilter.a
FETCHER		= $(BUILD)/fetcher/postfetch
MILTER		= $(BUILD)/milter/postfetch-milter
TAP		= $(BUILD)/tests/unit/tap.o
PEER		= $(BUILD)/tests/unit/peer.o
UNIT_TESTS	= $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))

.PHONY: all tests check deps install clean lint demo bench pkg-check deb torture
all: $(FETCHER) $(MILTER)

$(BUILD)/%.o: %.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRCS))
	$(AR) rcs $@ $^
$(LIBFETCHER): $(call obj,$(FETCHER_SRCS))
	$(AR) rcs $@ $^
$(LIBMILTER): $(call obj,$(MILTER_SRCS))
	$(AR) rcs $@ $^

$(FETCHER): $(BUILD)/fetcher/main.o $(LIBFETCHER) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(MILTER): $(BUILD)/milter/main.o $(LIBMILTER) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(LDLIBS)

# A unit test links the library of its area (its name's prefix) and common.
$(BUILD)/tests/unit/common_%: $(BUILD)/tests/unit/common_%.o $(TAP) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The fetcher's protocol tests also get the scripted server (peer.c).
$(BUILD)/tests/unit/fetcher_%: $(BUILD)/tests/unit/fetcher_%.o $(TAP) $(PEER) $(LIBFETCHER) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/unit/milter_%: $(BUILD)/tests/unit/milter_%.o $(TAP) $(LIBMILTER) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(LDLIBS)
# milter_nomem makes the allocations of the milter's logic fail one by one.
NOMEM_WRAP = malloc calloc realloc reallocarray strdup strndup vasprintf asprintf
$(BUILD)/tests/unit/milter_nomem: LDFLAGS += $(foreach f,$(NOMEM_WRAP),-Wl,--wrap=$(f))

tests: all $(UNIT_TESTS)

deps:
	@sh tests/deps.sh

pkg-check:
	@$(if $(PKG_MISSING),echo "make: pkg-config finds no $(PKG_MISSING);" \
	    "run make deps (as root) first" >&2; exit 1,:)

# The whole suite, then again built with ASan+UBSan.
check: deps
	$(MAKE) tests
	tests/run-tests $(BUILD)
	$(MAKE) BUILD=build/asan SANITIZE=1 tests
	ASAN_OPTIONS=detect_leaks=1 tests/run-tests build/asan

demo: deps
	$(MAKE) all
	PF_BUILD=$(BUILD) tests/demo.sh

# Hostile servers, outages and kills at full size, then the reliability
# table (doc/RELIABILITY.md); make check runs the same cases, quick.
torture: deps
	$(MAKE) all
	tests/torture/run $(BUILD)

# Measured, never asserted (tests/bench/README; PF_BENCH_MESSAGES=200: quick).
bench: deps
	$(MAKE) all
	PF_BUILD=$(BUILD) tests/bench/bench.sh

# The Debian package (debian/README.Debian), built in a copy of the tree:
# dpkg-buildpackage cleans its tree and writes to the parent directory.
deb: deps
	rm -rf build/deb && mkdir -p build/deb/postfetch
	tar -cf - --exclude=./build --exclude=./.git . | \
	    tar -xf - -C build/deb/postfetch
	cd build/deb/postfetch && dpkg-buildpackage -us -uc -b
	lintian --fail-on error --info \
	    build/deb/*.changes

lint:
	mandoc -Tlint -W warning doc/*.[0-9]
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -Icommon common fetcher milter

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/schema/migrations $(DESTDIR)$(DATADIR)/contrib
	install -m 755 $(FETCHER) $(MILTER) $(DESTDIR)$(SBINDIR)
	for f in doc/*.[578]; do \
	    install -m 644 $$f $(DESTDIR)$(MANDIR)/man$${f##*.}; done
	install -m 644 schema/*.sql $(DESTDIR)$(DATADIR)/schema
	install -m 644 schema/migrations/*.sql $(DESTDIR)$(DATADIR)/schema/migrations
	install -m 644 contrib/* $(DESTDIR)$(DATADIR)/contrib

clean:
	rm -rf build
	find common fetcher milter tests -name '*.[oad]' -delete
	rm -f $(FETCHER) $(MILTER) $(UNIT_TESTS)

DEPFILES = $(patsubst %.c,$(BUILD)/%.d,$(COMMON_SRCS) $(FETCHER_SRCS) \
	    $(MILTER_SRCS) $(UNIT_SRCS) fetcher/main.c milter/main.c tests/unit/tap.c \
	    tests/unit/peer.c)
-include $(DEPFILES)
