#!/usr/bin/env bash
# The series' two commands (see README):
#   bash series.sh lab    open the notebooks in JupyterLab (it prints the address to open; CNNLIB_LAB_PORT, default 8888)
#   bash series.sh test   run the whole test suite: unit tests, notebooks under nbval, browser tests
# Both create the virtual environment .venv first when it is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${CNNLIB_VENV:-.venv}
# Spare OpenMP threads sleep instead of spinning, so that notebooks and tests sharing the CPU do not stall each other;
# OpenMP reads it when PyTorch loads, so Jupyter's kernels get it from here (README: "Teaching on a JupyterHub").
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PY=${PYTHON:-python3}

ensure_env() {
  local stamp="$VENV/.cnnlib-stamp" want
  want=$(cat pyproject.toml requirements.txt .ci/constraints.txt | sha256sum | cut -c1-16)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "[series] creating the environment in $VENV (about a minute)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt -c .ci/constraints.txt
  echo "$want" > "$stamp"
}

case "${1:-}" in
  lab)
    ensure_env
    shift
    port=${CNNLIB_LAB_PORT:-8888}
    token=$("$VENV/bin/python" -c "import secrets; print(secrets.token_hex(16))")
    extra=()
    if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi   # containers and many JupyterHub images run as root
    echo "[series] JupyterLab on notebooks/: open http://127.0.0.1:$port/lab?token=$token (Ctrl-C stops it)"
    exec "$VENV/bin/jupyter" lab notebooks/ --ServerApp.port="$port" --ServerApp.port_retries=0 \
      --IdentityProvider.token="$token" ${extra[@]+"${extra[@]}"} "$@" ;;
  test)
    ensure_env
    shift
    export CNNLIB_QUICK=${CNNLIB_QUICK:-1}   # the suite always runs the notebooks in quick mode
    exec "$VENV/bin/python" -m pytest tests notebooks --nbval \
      --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600 "$@" ;;
  *)
    echo "usage: bash series.sh lab|test [pytest args]" >&2; exit 2 ;;
esac
