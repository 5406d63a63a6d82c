#!/usr/bin/env bash
# Installs the official Apache RocketMQ C++ client for the interop tests.
#
# The client (librocketmq.so, rocketmq-client-cpp) ships inside the PyPI wheel
# rocketmq==0.4.4 (Python module rocketmq.client). This script puts it into a venv and
# is idempotent: when the venv already imports rocketmq.client it only prints the path.
#
#   RMQ_INTEROP_VENV   venv directory (default: $HOME/.cache/rmq-interop/venv)
#
# The last line printed on stdout is the venv's python interpreter; everything else
# (pip, apt) goes to stderr.
set -euo pipefail

VENV="${RMQ_INTEROP_VENV:-$HOME/.cache/rmq-interop/venv}"
PY="$VENV/bin/python3"
WHEEL="rocketmq==0.4.4"

can_import() {
  [ -x "$PY" ] && "$PY" -c 'import rocketmq.client' >/dev/null 2>&1
}

make_venv() {
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
}

if ! can_import; then
  command -v python3 >/dev/null 2>&1 || { echo "install.sh: python3 is required" >&2; exit 1; }
  mkdir -p "$(dirname "$VENV")"
  if [ ! -x "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    if ! make_venv 2>/dev/null; then
      # Debian/Ubuntu ship venv (ensurepip) separately.
      echo "install.sh: python3 -m venv failed; installing python3-venv" >&2
      SUDO=""
      if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
      $SUDO apt-get update >&2
      $SUDO apt-get install -y python3-venv >&2
      make_venv
    fi
  fi
  "$PY" -m pip install --disable-pip-version-check -q "$WHEEL" >&2
  if ! "$PY" -c 'import rocketmq.client' >&2; then
    echo "install.sh: $WHEEL installed into $VENV but 'import rocketmq.client' fails" >&2
    exit 1
  fi
fi

echo "$PY"
