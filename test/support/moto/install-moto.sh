#!/usr/bin/env bash
# Installs moto (PyPI) -- the AWS-protocol emulator the tests and local mode run in server mode for
# S3, STS, KMS and CloudWatch -- into its own venv, once per version, cached outside the repository
# (Debian's Python is externally managed, and a venv keeps moto's dependencies away from the
# machine's). pip fetches from wherever pip is configured to; this script names no index.
# Prints the venv's bin directory (holding moto_server) on its last line of stdout.
# With --check it installs nothing: it prints the directory when moto is installed, else exits 3.
# Exits 4 when Python 3 with venv support is missing (local mode then runs without the store).
set -euo pipefail

MOTO_VERSION="${PULLBRIDGE_MOTO_VERSION:-5.2.5}"
# server: moto_server (Flask); s3/sts/kms/cloudwatch: the services pullbridge talks to.
MOTO_EXTRAS="server,s3,sts,kms,cloudwatch"
CACHE_ROOT="${PULLBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pullbridge}"
OUT="$CACHE_ROOT/moto/moto-${MOTO_VERSION}"

log() { echo "[moto] $*" >&2; }
# A venv points at the interpreter that made it: a removed or upgraded Python breaks it silently.
installed() { [[ -f "$OUT/.installed" && -x "$OUT/bin/moto_server" ]] && "$OUT/bin/python" -c '' 2>/dev/null; }

if installed; then echo "$OUT/bin"; exit 0; fi
if [[ "${1:-}" == "--check" ]]; then exit 3; fi

PYTHON="${PULLBRIDGE_PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "Python 3 is required to install moto (apt-get install python3 python3-venv)"
  exit 4
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  log "Python's venv module is missing (apt-get install python3-venv)"
  exit 4
fi

mkdir -p "$CACHE_ROOT/moto"
# Two callers at once (the integration and rolling setups, or two checkouts) install it once.
exec 9>"$CACHE_ROOT/moto/.lock"
flock 9
if installed; then echo "$OUT/bin"; exit 0; fi

log "installing moto $MOTO_VERSION ($MOTO_EXTRAS) into $OUT (first time only; 1-2 minutes)"
start=$(date +%s)
rm -rf "$OUT"
"$PYTHON" -m venv "$OUT" >&2
"$OUT/bin/pip" install -q --disable-pip-version-check "moto[$MOTO_EXTRAS]==$MOTO_VERSION" >&2
"$OUT/bin/python" -c 'import moto.server, moto.s3, moto.sts, moto.kms, moto.cloudwatch' >&2
touch "$OUT/.installed"
log "moto $MOTO_VERSION installed in $(( $(date +%s) - start ))s"
echo "$OUT/bin"
