# tally: `make run` serves a local Redis with the module, `make test` runs every test.
PORT ?= 6379
MODULE := target/release/libtally.so
SERVER ?= redis-server

.PHONY: deps build run test unit integration bench clean

deps:
	@scripts/install-deps.sh

build: deps
	cargo build --release

# module.conf names the module relative to the repository root; the server resolves
# paths after changing to its data folder, so run a copy with the absolute path.
run: build
	mkdir -p .run
	sed 's|^loadmodule target/|loadmodule $(CURDIR)/target/|' module.conf > .run/module.conf
	$(SERVER) .run/module.conf --port $(PORT) --dir $(CURDIR)/.run

test: build
	cargo test --release --workspace

bench: build
	bench/run.sh

clean:
	cargo clean
	rm -rf .run
