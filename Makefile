# Installs libzkclient for C, C++ and any FFI host (the Go package needs none of this: see
# bindings/go/README.md).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=PREFIX/lib] [INCLUDEDIR=PREFIX/include]
#                [NO_TLS=1]
#   make uninstall [same variables]
#
# install builds the release library with cargo and puts in place:
#   LIBDIR/libzkclient.so.VERSION        SONAME libzkclient.so.MAJOR
#   LIBDIR/libzkclient.so.MAJOR   -> libzkclient.so.VERSION
#   LIBDIR/libzkclient.so         -> libzkclient.so.MAJOR
#   LIBDIR/libzkclient.a
#   LIBDIR/pkgconfig/zkclient.pc
#   INCLUDEDIR/zkclient.h
# NO_TLS=1 builds without the `tls` cargo feature: the same API and header, TLS settings
# refused with ZK_RESULT_TLS, a third of the code. VERSION comes from Cargo.toml. The build
# uses its own cargo target directory (target/install, or target/install-notls), so the
# SONAME it links in never reaches the development build in target/release, whose tests
# link the unversioned name.
#
# Both libraries get a hot/cold code layout (scripts/hotlayout.py says why): the functions
# in scripts/hot-functions.txt are packed together, in the shared library by the linker
# (scripts/cc-release), in the static one by section names the linker groups. Both carry
# a private copy of GCC's unwinder, so programs need not load libgcc_s.so.1 for it
# (scripts/unwinder.py says why). Symbols use Rust's v0 mangling, whose names carry a
# generic function's type arguments: the hot list then names the instantiations that ran,
# not every instantiation of a generic function that did (26 KB less hot code with TLS).
#
# The static library's TLS is a member of its own (scripts/tlsplugin.py, tls/src/lib.rs):
# its core is built without TLS code (--features tls-plugin), and the zkclient-tls crate,
# built as a static library, defines zk_options_set_tls. A program links rustls and ring
# only if it calls that function. The shared library has TLS built in (it is loaded
# whole anyway).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
CARGO      ?= cargo
INSTALL    ?= install
PYTHON     ?= python3

# The version of [package], not of a dependency.
VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
SONAME  := libzkclient.so.$(MAJOR)
TARGET  := target/install$(if $(filter 1,$(NO_TLS)),-notls,)
BUILD   := $(TARGET)/release
LINK_INPUTS := scripts/hot-functions.txt scripts/cc-release scripts/releaselink.py \
    scripts/hotlayout.py scripts/unwinder.py scripts/toolrun.py

ifeq ($(strip $(VERSION)),)
$(error could not read the package version from Cargo.toml)
endif

.PHONY: install uninstall install-build

install-build:
	@# cargo does not know what the linker wrapper reads: newer inputs mean linking again
	@for f in $(LINK_INPUTS); do if [ $$f -nt $(BUILD)/libzkclient.so ]; then \
	    rm -f $(BUILD)/libzkclient.so $(BUILD)/deps/libzkclient.so; fi; done
ifeq ($(NO_TLS),1)
	CARGO_TARGET_DIR=$(TARGET) $(CARGO) rustc --release --locked --lib --no-default-features \
	    --crate-type cdylib,staticlib -- -C link-arg=-Wl,-soname,$(SONAME) \
	    -C linker=$(CURDIR)/scripts/cc-release -C symbol-mangling-version=v0
	cp $(BUILD)/libzkclient.a $(BUILD)/libzkclient-install.a
	$(PYTHON) scripts/hotlayout.py archive $(BUILD)/libzkclient-install.a
else
	CARGO_TARGET_DIR=$(TARGET) $(CARGO) rustc --release --locked --lib --crate-type cdylib \
	    -- -C link-arg=-Wl,-soname,$(SONAME) -C linker=$(CURDIR)/scripts/cc-release \
	    -C symbol-mangling-version=v0
	CARGO_TARGET_DIR=$(TARGET) $(CARGO) rustc --release --locked --lib --no-default-features \
	    --features tls-plugin --crate-type staticlib -- -C symbol-mangling-version=v0
	cp $(BUILD)/libzkclient.a $(BUILD)/libzkclient-install.a
	$(PYTHON) scripts/hotlayout.py archive $(BUILD)/libzkclient-install.a
	CARGO_TARGET_DIR=$(TARGET) $(CARGO) rustc --release --locked -p zkclient-tls --lib \
	    --features plugin --crate-type staticlib
	$(PYTHON) scripts/tlsplugin.py merge $(BUILD)/libzkclient-install.a \
	    $(BUILD)/libzkclient_tls.a
endif
	$(PYTHON) scripts/unwinder.py archive $(BUILD)/libzkclient-install.a

install: install-build
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 755 $(BUILD)/libzkclient.so $(DESTDIR)$(LIBDIR)/libzkclient.so.$(VERSION)
	ln -sf libzkclient.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libzkclient.so
	$(INSTALL) -m 644 $(BUILD)/libzkclient-install.a $(DESTDIR)$(LIBDIR)/libzkclient.a
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
	    'Libs.private: -lpthread -ldl -lm' \
	    'Cflags: -I$${includedir}' \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libzkclient.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libzkclient.so $(DESTDIR)$(LIBDIR)/libzkclient.a \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/zkclient.pc $(DESTDIR)$(INCLUDEDIR)/zkclient.h
