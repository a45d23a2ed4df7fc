#!/usr/bin/env bash
# Runs every test suite of `make test` (after make has installed the
# dependencies and built the C harness) and closes with one summary line,
# "tests: N passed, M failed", counting Swift Testing tests, C harness
# tests, the consumer package run, the application on the BackpropCore
# product alone (it trains, and links no BackpropTabular or BackpropPlots
# code), each snippet of Snippets/ (a seed's worked example that checks its
# figures against the seed's and exits non-zero when they disagree), the
# documentation build (`make docs`, where a warning is an error) and the
# checks that every public C function is defined under its own name
# (check-public-definitions.sh) and that every public Swift declaration has
# a doc comment (check-doc-comments.py).
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed_suites=0

# every public C function defined under its own name (a second; run first)
defs_ok=0
scripts/check-public-definitions.sh && defs_ok=1 || failed_suites=$((failed_suites + 1))
# every public Swift declaration documented (a second)
doc_comments_ok=0
scripts/check-doc-comments.py && doc_comments_ok=1 || failed_suites=$((failed_suites + 1))

swift test 2>&1 | tee "$logs/swift.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed_suites=$((failed_suites + 1))

.build-c/charness 2>&1 | tee "$logs/c.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed_suites=$((failed_suites + 1))
# the same harness built by clang (make test builds it when clang exists)
if [ -x .build-c-clang/charness ]; then
  .build-c-clang/charness 2>&1 | tee -a "$logs/c.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed_suites=$((failed_suites + 1))
fi

consumer_ok=0
# (the build plan is dropped first: see DROP_PLAN in the Makefile)
rm -f Examples/Consumer/.build/debug.yaml Examples/Consumer/.build/release.yaml
{ swift build --package-path Examples/Consumer && swift run --package-path Examples/Consumer Consumer; } \
  2>&1 | tee "$logs/consumer.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] && consumer_ok=1 || failed_suites=$((failed_suites + 1))

# CoreConsumer depends on the BackpropCore product alone: it must train
# (it exits non-zero below its accuracy bound), and its binary must define
# no symbol of BackpropTabular or BackpropPlots. Swift mangles a module's
# name, preceded by its length, into every symbol the module defines
# (15BackpropTabular, 13BackpropPlots); BackpropCore's own (12BackpropCore)
# must be there, so that a stripped or wrong binary cannot pass.
core_ok=0
core_bin="$(swift build --package-path Examples/Consumer --show-bin-path)/CoreConsumer"
if swift build --package-path Examples/Consumer --product CoreConsumer && "$core_bin"; then
  core_symbols=$(nm --defined-only "$core_bin")
  if ! grep -q '12BackpropCore' <<<"$core_symbols"; then
    echo "CoreConsumer: $core_bin defines no BackpropCore symbol (stripped, or not the core consumer?)"
  elif grep -E '15BackpropTabular|13BackpropPlots' <<<"$core_symbols" >"$logs/core-leaks.txt"; then
    echo "CoreConsumer depends on BackpropCore alone, yet defines $(wc -l <"$logs/core-leaks.txt") symbols of BackpropTabular or BackpropPlots, e.g.:"
    head -5 "$logs/core-leaks.txt"
  else
    core_ok=1
    echo "CoreConsumer: no BackpropTabular or BackpropPlots symbol in its binary"
  fi
fi
[ "$core_ok" = 1 ] || failed_suites=$((failed_suites + 1))

# The snippets: `swift build` (make test's build step, and `swift test`)
# compiles every file of Snippets/ as an executable of its own name.
snippets_passed=0
snippets_failed=0
for snippet in Snippets/*.swift; do
  name=$(basename "$snippet" .swift)
  echo "snippet $name:"
  if swift run --skip-build "$name"; then
    snippets_passed=$((snippets_passed + 1))
  else
    echo "snippet $name FAILED"
    snippets_failed=$((snippets_failed + 1))
  fi
done
[ "$snippets_failed" -eq 0 ] || failed_suites=$((failed_suites + 1))

# The DocC catalogues and snippets, built with warnings as errors (a broken
# symbol link fails).
docs_ok=0
make --no-print-directory docs 2>&1 | tee "$logs/docs.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] && docs_ok=1 || failed_suites=$((failed_suites + 1))

# Swift Testing: "✔ Test run with 37 tests in 8 suites passed" or
# "✘ Test run with 37 tests in 8 suites failed ... with N issues".
swift_total=$(grep -Eo 'Test run with [0-9]+ tests?' "$logs/swift.txt" | tail -1 | grep -Eo '[0-9]+' || echo 0)
swift_failed_tests=$(grep -E '^✘ Test [^r].* failed after' "$logs/swift.txt" | wc -l)
# cmocka: "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:"
c_passed=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$logs/c.txt" | awk '{s += $4} END {print s + 0}')
c_failed=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$logs/c.txt" | awk '{s += $4} END {print s + 0}')

passed=$(( swift_total - swift_failed_tests + c_passed + consumer_ok + core_ok + snippets_passed + docs_ok + defs_ok + doc_comments_ok ))
failed=$(( swift_failed_tests + c_failed + 1 - consumer_ok + 1 - core_ok + snippets_failed + 1 - docs_ok + 1 - defs_ok + 1 - doc_comments_ok ))
echo
echo "Swift: $((swift_total - swift_failed_tests)) of $swift_total tests passed; C harness: $c_passed passed, $c_failed failed; consumer package: $([ $consumer_ok = 1 ] && echo ran || echo FAILED); core-only consumer: $([ $core_ok = 1 ] && echo "ran, core alone linked" || echo FAILED); snippets: $snippets_passed passed, $snippets_failed failed; documentation: $([ $docs_ok = 1 ] && echo built || echo FAILED); public definitions: $([ $defs_ok = 1 ] && echo checked || echo MISSING); doc comments: $([ $doc_comments_ok = 1 ] && echo checked || echo MISSING)"
echo "tests: $passed passed, $failed failed"
[ "$failed_suites" -eq 0 ] && [ "$failed" -eq 0 ]
