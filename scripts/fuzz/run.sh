#!/usr/bin/env bash
# Coverage-guided fuzzing of Simfra's request parsers with libFuzzer. Not part of the build
# or the test command: run it by hand.
#
#   scripts/fuzz/run.sh [seconds-per-target] [target...]     (default: 60 s; xml json expression)
#
# Each target compiles the parser's own source files straight into one module with a
# `LLVMFuzzerTestOneInput` entry (scripts/fuzz/targets/), under libFuzzer + AddressSanitizer.
# Binaries, the growing corpus and any crash inputs go to .build-fuzz/ (git-ignored);
# the committed seeds in scripts/fuzz/corpus/ are read, never written. Exit status is
# non-zero if any target found a crash, leak, timeout or sanitizer report.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/fuzz"
out="$root/.build-fuzz"
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(xml json expression)
mkdir -p "$out"

sources() {
    case "$1" in
        xml) echo "$root/Sources/SimfraProtocols/Wire/XMLReader.swift" ;;
        # JSONReader builds on SimfraCore's Value; compiled as one module named SimfraCore
        # so its `import SimfraCore` refers to itself.
        json) echo "$root"/Sources/SimfraCore/*.swift "$root/Sources/SimfraProtocols/Wire/JSONReader.swift" ;;
        expression) echo "$root"/Sources/SimfraCore/*.swift "$root"/Sources/Services/DynamoDB/*.swift ;;
        *) echo "unknown target '$1' (xml, json, expression)" >&2; exit 2 ;;
    esac
}
entry() { case "$1" in xml) echo FuzzXML ;; json) echo FuzzJSON ;; expression) echo FuzzExpression ;; esac; }
module() { case "$1" in xml) echo SimfraProtocols ;; *) echo SimfraCore ;; esac; }

status=0
for t in "${targets[@]}"; do
    bin="$out/fuzz-$t"
    rm -f "$bin"
    echo "== $t: building $bin"
    # The machine is shared with SwiftPM builds: take the same lock they do.
    # shellcheck disable=SC2046
    flock /tmp/simfra-swift-build.lock swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
        -swift-version 6 -package-name Simfra -module-name "$(module "$t")" \
        -suppress-warnings $(sources "$t") "$here/targets/$(entry "$t").swift" -o "$bin" \
        2>&1 | { grep -v "Cannot export local symbol" || true; }
    [ -x "$bin" ] || { echo "== $t: build failed" >&2; exit 2; }
    mkdir -p "$out/corpus-$t"
    echo "== $t: fuzzing for ${secs}s"
    set +e
    # Swift's backtracer off, so the sanitizer's own report is what the log shows.
    SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -dict="$here/$t.dict" -artifact_prefix="$out/finding-$t-" -print_final_stats=1 \
        "$out/corpus-$t" "$here/corpus/$t" 2>&1 | tee "$out/log-$t.txt" | grep -E "^(#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ]; then
        echo "== $t: FINDING (exit $rc); see $out/log-$t.txt and $out/finding-$t-*"
        status=1
    else
        echo "== $t: no findings"
    fi
done
exit $status
