#!/usr/bin/env bash
# Installs the Debian packages the test suite drives: pdfsig/pdftotext (poppler-utils),
# certutil (libnss3-tools), the system Chromium for the browser tests, npm (axe-core) and
# faketime (the clock moved years ahead for the long-term validation tests), haproxy
# (tests/cluster, bench/cluster.py), wrk (bench/use_gate.py, bench/cluster.py and its smoke
# test), PostgreSQL's client and server binaries (backup/restore, the replica tests),
# zbarimg (zbar-tools: the QR code's second reader).
# `--bench` is accepted for older callers and installs the same.
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
# pg_dump, pg_restore, psql: the backup-and-restore test (tests/integration/test_backup_restore.py).
command -v pg_dump >/dev/null || [ -x /usr/lib/postgresql/15/bin/pg_dump ] \
  || missing+=(postgresql-client)
# PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup): the read-replica tests run
# a primary and a streaming replica of their own (tests/common/pg_replica.py).
compgen -G "/usr/lib/postgresql/*/bin/pg_basebackup" >/dev/null || missing+=(postgresql)
# haproxy: the load balancer tests/cluster starts in front of three nodes, and `haproxy -c`
# checks the configuration in docs/operations.md (Debian puts it
# in /usr/sbin, which a non-root PATH may lack).
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
# The HTTP load generator of bench/use_gate.py and bench/cluster.py (the smoke test
# tests/integration/test_bench_cluster.py runs it).
command -v wrk >/dev/null || missing+=(wrk)
# zbarimg: a second QR reader, independent of zxing-cpp (which also makes the letter's
# symbol): tests/integration/test_letter_documents.py reads the printed page with both.
command -v zbarimg >/dev/null || missing+=(zbar-tools)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
