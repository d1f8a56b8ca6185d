# Builds and installs libzkclient for C, C++ and any FFI host (the Go package needs none of
# this: see bindings/go/README.md).
#
#   make [NO_TLS=1]
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=PREFIX/lib] [INCLUDEDIR=PREFIX/include]
#   make uninstall [same variables]
#
# `make` is `cargo build --release --locked`: target/release/libzkclient.so and
# libzkclient.a, exactly as cargo and the linker make them (the capi/ package; profile
# settings in Cargo.toml; capi/build.rs gives the .so its SONAME, libzkclient.so.MAJOR). It
# also links target/release/libzkclient.so.MAJOR to the .so: the name that programs
# linked against target/release look for at run time. NO_TLS=1 builds without the `tls`
# cargo feature (--no-default-features): the same API and header, TLS settings refused
# with ZK_RESULT_TLS, half the code.
#
# `make install` copies what `make` built, and builds nothing (so `sudo make install`
# runs no cargo as root):
#   LIBDIR/libzkclient.so.VERSION
#   LIBDIR/libzkclient.so.MAJOR   -> libzkclient.so.VERSION
#   LIBDIR/libzkclient.so         -> libzkclient.so.MAJOR
#   LIBDIR/libzkclient.a
#   LIBDIR/pkgconfig/zkclient.pc
#   INCLUDEDIR/zkclient.h
#   LIBDIR/zkclient-compat/libzookeeper_mt.so.2   the official C client's API (compat/,
#   LIBDIR/zkclient-compat/libzookeeper_mt.so     docs/compat.md), in a folder of its own so
#   LIBDIR/zkclient-compat/libzookeeper_mt.a      it never replaces the system's copy: a
#                                                 program uses it through -L/-rpath or
#                                                 LD_LIBRARY_PATH; it builds against the
#                                                 official zookeeper.h
# VERSION comes from Cargo.toml ([workspace.package]).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
CARGO      ?= cargo
INSTALL    ?= install

# The version in [workspace.package], which both packages take.
VERSION := $(shell sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
SONAME  := libzkclient.so.$(MAJOR)
# the official client's SONAME, which compat/build.rs gives libzookeeper_mt
COMPAT_SONAME := libzookeeper_mt.so.2
COMPATDIR     := $(LIBDIR)/zkclient-compat
# cargo's output: target/release, or under CARGO_TARGET_DIR when that is set
BUILD   := $(or $(CARGO_TARGET_DIR),target)/release

ifeq ($(strip $(VERSION)),)
$(error could not read the package version from Cargo.toml)
endif

.PHONY: all install uninstall

all:
	$(CARGO) build --release --locked$(if $(filter 1,$(NO_TLS)), --no-default-features,)
	ln -sf libzkclient.so $(BUILD)/$(SONAME)
	ln -sf libzookeeper_mt.so $(BUILD)/$(COMPAT_SONAME)

install:
	@test -f $(BUILD)/libzkclient.so -a -f $(BUILD)/libzkclient.a || \
	    { echo "make install: nothing built in $(BUILD): run make first" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 755 $(BUILD)/libzkclient.so $(DESTDIR)$(LIBDIR)/libzkclient.so.$(VERSION)
	ln -sf libzkclient.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libzkclient.so
	$(INSTALL) -m 644 $(BUILD)/libzkclient.a $(DESTDIR)$(LIBDIR)/libzkclient.a
	$(INSTALL) -m 644 include/zkclient.h $(DESTDIR)$(INCLUDEDIR)/zkclient.h
	printf '%s\n' \
	    'prefix=$(PREFIX)' \
	    'libdir=$(patsubst $(PREFIX)%,$${prefix}%,$(LIBDIR))' \
	    'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))' \
	    '' \
	    'Name: zkclient' \
	    'Description: ZooKeeper client library with a C ABI' \
	    'Version: $(VERSION)' \
	    'Libs: -L$${libdir} -lzkclient' \
	    'Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl' \
	    'Cflags: -I$${includedir}' \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc
	@test -f $(BUILD)/libzookeeper_mt.so -a -f $(BUILD)/libzookeeper_mt.a || \
	    { echo "make install: libzookeeper_mt not built in $(BUILD): run make first" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(COMPATDIR)
	$(INSTALL) -m 755 $(BUILD)/libzookeeper_mt.so $(DESTDIR)$(COMPATDIR)/$(COMPAT_SONAME)
	ln -sf $(COMPAT_SONAME) $(DESTDIR)$(COMPATDIR)/libzookeeper_mt.so
	$(INSTALL) -m 644 $(BUILD)/libzookeeper_mt.a $(DESTDIR)$(COMPATDIR)/libzookeeper_mt.a

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libzkclient.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libzkclient.so $(DESTDIR)$(LIBDIR)/libzkclient.a \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc $(DESTDIR)$(INCLUDEDIR)/zkclient.h
	rm -f $(DESTDIR)$(COMPATDIR)/$(COMPAT_SONAME) $(DESTDIR)$(COMPATDIR)/libzookeeper_mt.so \
	    $(DESTDIR)$(COMPATDIR)/libzookeeper_mt.a
	-rmdir $(DESTDIR)$(COMPATDIR) 2>/dev/null
