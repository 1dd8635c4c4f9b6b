#!/usr/bin/env bash
# Runs every test: Swift unit tests, then the end-to-end suite against the built binary
# with boto3 and the AWS CLI. Installs what it needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
[ -f /usr/include/sqlite3.h ] || need_apt+=(libsqlite3-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
if ! python3 -c "import boto3, botocore, awscli, pytest, requests" 2>/dev/null; then
  python3 -m pip install -q -r tests/requirements.txt
fi

swift build --build-tests
swift test --skip-build
python3 -m pytest tests/e2e -q -p no:cacheprovider
