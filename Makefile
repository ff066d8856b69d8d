# Racing Coach: quick start is `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: install native gen lint breaking test demo bench eval model up clean browser

# The C kernels: sources in native/src, headers in native/include, built by cffi
# (native/build_kernels.py) into the extension next to them. Editing any of them rebuilds it.
NATIVE_SOURCES := $(wildcard native/src/*.c native/src/*.h native/include/*.h) native/build_kernels.py
KERNELS        := native/_kernels.abi3.so

install: $(STAMP) $(KERNELS)

native: $(KERNELS)

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev,train]'
	touch $(STAMP)

# Rebuilding the kernels alone takes seconds; the install above builds them too.
$(KERNELS): $(NATIVE_SOURCES) | $(STAMP)
	$(PY) native/build_kernels.py

gen: install
	$(PY) -m racecoach.codegen.build
	$(PIP) install --quiet --no-deps --no-build-isolation -e .

lint: node_modules/.bin/buf
	node_modules/.bin/buf lint

breaking: node_modules/.bin/buf
	node_modules/.bin/buf breaking --against '.git#branch=main'

node_modules/.bin/buf:
	npm install --no-save --silent @bufbuild/buf

test: install
	-$(MAKE) --no-print-directory node_modules/.bin/buf browser
	$(PY) -m pytest -q -p no:cacheprovider

demo: install
	$(PY) -m racecoach.client.demo

bench: install
	$(PY) benchmarks/bench_analysis.py
	$(PY) benchmarks/bench_ibt.py
	$(PY) benchmarks/bench_storage.py
	$(PY) benchmarks/bench_collector.py
	$(PY) benchmarks/bench_mesh.py
	$(PY) benchmarks/bench_rest_read.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_capacity.py

# Coaching quality against the simulator's truth, on a throw-away mesh: make eval EVAL_ARGS='--tracks Spa --seeds 1'
EVAL_ARGS ?=
eval: install
	$(PY) -m racecoach.client.cli eval --start-mesh $(EVAL_ARGS)

# The coaching model: simulate, fit, judge on held-out circuits, write the .onnx and its card (about 3 min)
MODEL_SEED ?= 7
model: install
	$(VENV)/bin/racing-coach train --seed $(MODEL_SEED)

up: install
	$(VENV)/bin/racing-coach up

clean:
	rm -rf $(VENV) build *.egg-info node_modules

# Headless Chromium for the dashboard tests (Debian's package); skipped where apt is not usable.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: the dashboard browser tests will be skipped"; }
