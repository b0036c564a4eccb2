#!/usr/bin/env bash
# Debian packages the test suite needs (real fonts, Tesseract and poppler as peers, a browser for the web page
# test); installed when missing, so `make test` works on a fresh machine. Fails loudly when they cannot be.
set -euo pipefail
APT_PKGS="fonts-dejavu-core fonts-liberation fonts-wqy-microhei fonts-ipafont-gothic tesseract-ocr tesseract-ocr-eng chromium poppler-utils"
# KaTeX (npm) lets the formula tests compile-check LaTeX; they are skipped without it, so this is best effort.
if command -v npm >/dev/null 2>&1 && [ ! -d "$(npm root -g)/katex" ]; then
  npm install -g --silent katex@0.19.1 >/dev/null 2>&1 || echo "scriba: KaTeX not installed (npm install -g katex): the LaTeX compile test will be skipped" >&2
fi
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scriba: the tests need these Debian packages:$missing (no apt-get here: install them by hand)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
