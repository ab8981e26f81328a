#!/usr/bin/env bash
# Bootstrap the compendium's environment on Debian/Ubuntu. Idempotent: every step checks
# first and does nothing when already satisfied (a no-op run takes well under 2 s).
#   1. R 4.x, the model packages, poppler-utils and Chromium (layout and browser tests) from apt
#      (root or sudo), else print the exact apt line.
#   2. A local R library (.r-lib) with the placeholder package `report` that pymer4 loads.
#   3. A Python venv (.venv): pip and setuptools upgraded, then every package from
#      requirements.lock (exact versions with hashes, generated from pyproject.toml's pins by
#      `make lock`), then the project itself (editable, no dependency resolution).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS="$ROOT/.stamps"; mkdir -p "$STAMPS"

APT_PACKAGES=(r-base-core r-cran-lme4 r-cran-glmmtmb r-cran-emmeans r-cran-broom
  r-cran-broom.mixed r-cran-lmertest r-cran-tibble r-cran-parameters r-cran-performance
  r-cran-insight r-cran-boot r-cran-datawizard r-cran-bayestestr r-cran-effectsize
  r-cran-rlrsim r-cran-pbkrtest poppler-utils chromium chromium-driver)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- 1. R from apt --------------------------------------------------------------------
if ! dpkg-query -W -f='${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | grep -qv 'install ok installed' \
   && [ "$(dpkg-query -W -f='${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | wc -l)" -eq "${#APT_PACKAGES[@]}" ]; then
  :  # all installed
else
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "R and its model packages are missing. Ask an administrator to run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${APT_PACKAGES[*]}" >&2
    exit 1
  fi
  say "installing R, model packages, poppler and headless Chromium with apt"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
fi

# --- 2. Local R library with the `report` placeholder ------------------------------------
if [ ! -f "$ROOT/.r-lib/report/DESCRIPTION" ]; then
  say "installing the local R placeholder package 'report' into .r-lib (pymer4 loads it)"
  mkdir -p "$ROOT/.r-lib"
  R CMD INSTALL --no-test-load --library="$ROOT/.r-lib" "$ROOT/r/report-shim" >/dev/null
fi

# --- 3. Python venv -------------------------------------------------------------------
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
HASH=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$STAMPS/venv" 2>/dev/null)" != "$HASH" ]; then
  say "installing the locked Python dependencies (requirements.lock; about 70 s on a fresh venv)"
  # pip's noisy "Location ... is ignored" lines are filtered; pip's exit status is kept.
  quiet() { "$@" 2>&1 | { grep -v -E '^WARNING: Location|BuildBackendWarning' || true; }; return "${PIPESTATUS[0]}"; }
  # 1. pip and setuptools first (a new venv has pip 23 / setuptools 65), from the lock's hashes.
  awk '/^(pip|setuptools|wheel)==/{p=1} p{print} p && !/\\$/{p=0}' requirements.lock > "$STAMPS/installers.txt"
  # --no-deps: wheel needs packaging, which step 2 installs from the lock with its hash.
  quiet .venv/bin/python -m pip install -q --no-deps --require-hashes -r "$STAMPS/installers.txt"
  # 2. Every dependency at the locked version; pip refuses a file whose hash differs.
  quiet .venv/bin/python -m pip install -q --require-hashes -r requirements.lock
  # 3. The project itself, against what is installed (no resolution, no isolated build env).
  quiet .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$HASH" > "$STAMPS/venv"
fi
