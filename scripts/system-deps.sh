#!/usr/bin/env bash
# Installs the Debian packages the test suite drives: pdfsig/pdftotext (poppler-utils),
# certutil (libnss3-tools), the system Chromium for the browser tests, npm (axe-core) and
# faketime (the clock moved years ahead for the long-term validation tests);
# wrk and haproxy (bench/cluster.py and its smoke test). `--bench` is accepted for older
# callers and installs the same.
# Never downloads a browser build of its own. Needs root (or sudo) the first time only.
set -euo pipefail
missing=()
command -v pdfsig >/dev/null || missing+=(poppler-utils)
command -v certutil >/dev/null || missing+=(libnss3-tools)
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)  # fetches axe-core (scripts/browser-deps.sh)
command -v faketime >/dev/null || missing+=(faketime)  # libfaketime: long-term validation tests
# openssl: the PKI tests' independent checks; its libssl3 (OpenSSL 3) is also the SM2 of
# anxin.pki.sm2 (through ctypes), so it must be a build with SM2, as Debian's is.
command -v openssl >/dev/null || missing+=(openssl)
# The HTTP load generator of bench/use_gate.py and bench/cluster.py, and the load balancer
# in front of bench/cluster.py's nodes (Debian installs it in /usr/sbin); the smoke test
# tests/integration/test_bench_cluster.py runs both.
command -v wrk >/dev/null || missing+=(wrk)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
