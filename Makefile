# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU wheel. A GPU user runs e.g. `make test TORCH_SPEC="torch --index-url <your CUDA wheel index>"`
# or installs torch into .venv first; pip then keeps the torch it finds.
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo lessons metaworld test test-fast install install-lessons install-test install-metaworld gl-lib browser lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.torch: $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q $(TORCH_SPEC)
	touch $@

# What `make demo` uses and what its README steps run next (videos, `simplevla serve`); the lessons add
# `basics` (scikit-learn, ~15 s more to install).
install: $(VENV)/.torch
	$(BIN)/pip install -q -e ".[video,serve]"

install-lessons: install
	$(BIN)/pip install -q -e ".[basics]"

install-test: $(VENV)/.torch gl-lib browser
	$(BIN)/pip install -q -e ".[test]"

# The browser test of `simplevla serve` drives headless Chromium through the system chromedriver (Selenium, no
# downloads at run time). Installed with apt-get where missing; elsewhere the test skips and says why.
browser:
	@{ command -v chromium >/dev/null && command -v chromedriver >/dev/null ; } \
	|| { command -v apt-get >/dev/null && $(if $(filter 0,$(shell id -u)),,sudo) sh -c "apt-get update -qq && apt-get install -y -qq chromium chromium-driver" ; } \
	|| echo "browser: could not install chromium; install it (Debian/Ubuntu: chromium chromium-driver) for the browser test"

install-metaworld: $(VENV)/.torch gl-lib
	$(BIN)/pip install -q -e ".[metaworld]"

# Meta-World renders headless through OSMesa (simplevla falls back to EGL without it). Installed with apt-get
# where it is missing; a machine without apt-get (or root) is told what to install instead.
gl-lib: $(BIN)/python
	@$(BIN)/python -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('OSMesa'))" \
	|| { command -v apt-get >/dev/null && $(if $(filter 0,$(shell id -u)),,sudo) sh -c "apt-get update -qq && apt-get install -y -qq libosmesa6" ; } \
	|| echo "gl-lib: could not install OSMesa; install it (Debian/Ubuntu: libosmesa6) or set MUJOCO_GL=egl"

# The main job: record demonstrations, train `default` and `simple`, evaluate both, write
# runs/quickstart/report.md. `make lessons` runs the tutorial's lessons instead.
demo: install
	$(BIN)/simplevla quickstart --out runs/quickstart

# Meta-World MT50 on LeRobot's protocol, from nothing: record, train two seeds, evaluate (benchmarks/metaworld.md).
metaworld: install-metaworld
	bash benchmarks/metaworld_mt50.sh runs/mt50

lessons: install-lessons
	$(BIN)/simplevla basics all

lint: install-test
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/ruff format --check src tests benchmarks experiments

test: install-test
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/python -m pytest

# The inner loop: every test not marked `slow` (the end-to-end runs, kills and resumes), in about a minute.
test-fast: install-test
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
