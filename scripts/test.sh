#!/usr/bin/env bash
# Runs every test: Swift unit tests, then the end-to-end suite against the built binary
# with boto3 and the AWS CLI. Installs what it needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
[ -f /usr/include/sqlite3.h ] || need_apt+=(libsqlite3-dev)
command -v openssl >/dev/null || need_apt+=(openssl)  # the KMS tests verify signatures with the openssl CLI
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
if ! python3 -c "import boto3, botocore, awscli, pytest, requests, cryptography" 2>/dev/null; then
  python3 -m pip install -q -r tests/requirements.txt
fi

swift build --build-tests
swift test --skip-build

# The Terraform tier (tests/terraform) spends most of its time waiting on the provider, so it
# runs beside the end-to-end suite; its output follows the suite's.
tf_log=$(mktemp)
python3 -m pytest tests/terraform -q -p no:cacheprovider >"$tf_log" 2>&1 &
tf_pid=$!
e2e_rc=0
python3 -m pytest tests/e2e -q -p no:cacheprovider || e2e_rc=$?
tf_rc=0
wait "$tf_pid" || tf_rc=$?
echo "--- Terraform tier (tests/terraform)"
cat "$tf_log"
rm -f "$tf_log"
[ "$e2e_rc" -eq 0 ] && [ "$tf_rc" -eq 0 ]
