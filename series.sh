#!/usr/bin/env bash
# The series' two commands (see README):
#   bash series.sh lab    open the notebooks in JupyterLab (it prints the address to open; CNNLIB_LAB_PORT, default 8888)
#   bash series.sh test   run the whole test suite: unit tests, notebooks under nbval, browser tests
#   bash series.sh slides [NN ...]   reveal.js slides of the executed notebooks, in build/slides/
#   bash series.sh editions          a student and an instructor edition, in build/editions/
#   bash series.sh site              a website of the executed notebooks, in build/site/
# All create the virtual environment .venv first when it is missing or out of date.
# CNNLIB_ENV=colab runs them in a second environment, .venv-colab, with Colab's versions (.ci/constraints-colab.txt):
# ipywidgets 7, classic Notebook 6, IPython 7; its browser tests click the widgets in classic Notebook.
set -euo pipefail
cd "$(dirname "$0")"
case "${CNNLIB_ENV:=main}" in
  main) VENV=${CNNLIB_VENV:-.venv}; CONSTRAINTS=.ci/constraints.txt; WANTS=(-r requirements.txt) ;;
  colab) VENV=${CNNLIB_VENV:-.venv-colab}; CONSTRAINTS=.ci/constraints-colab.txt
         WANTS=(-e ".[test]" notebook ipywidgets ipython numpy matplotlib tensorboard) ;;  # what Colab has
  *) echo "CNNLIB_ENV is '$CNNLIB_ENV': use main (the default) or colab" >&2; exit 2 ;;
esac
export CNNLIB_ENV
# Spare OpenMP threads sleep instead of spinning, so that notebooks and tests sharing the CPU do not stall each other;
# OpenMP reads it when PyTorch loads, so Jupyter's kernels get it from here (README: "Teaching on a JupyterHub").
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PY=${PYTHON:-python3}

ensure_env() {
  local stamp="$VENV/.cnnlib-stamp" want
  want=$(cat pyproject.toml requirements.txt "$CONSTRAINTS" | sha256sum | cut -c1-16)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "[series] creating the environment in $VENV (about a minute)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "${WANTS[@]}" -c "$CONSTRAINTS"
  echo "$want" > "$stamp"
}

case "${1:-}" in
  lab)
    if [ "$CNNLIB_ENV" = colab ]; then
      echo "The Colab-like environment has classic Notebook 6, not JupyterLab: run bash series.sh lab without" \
           "CNNLIB_ENV=colab, or open classic Notebook with .venv-colab/bin/jupyter notebook notebooks/" >&2; exit 2
    fi
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
  slides|editions|site)
    ensure_env
    tool=$1; shift
    exec "$VENV/bin/python" "tools/$tool.py" "$@" ;;
  *)
    echo "usage: bash series.sh lab|test [pytest args]|slides [NN ...]|editions|site" >&2; exit 2 ;;
esac
