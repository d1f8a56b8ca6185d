# Sourced by scripts/test.sh and scripts/quick-test.sh: the suite runner they share.
#   suite NAME COMMAND [ARG...]   runs COMMAND, prints "==> NAME: ok|FAILED (N s)",
#                                 and counts it in $passed / $failed / $failures.
#   suite_summary LABEL           prints the failed suites and "LABEL: N passed, M failed"
#                                 and returns non-zero if any suite failed.
passed=0
failed=0
failures=()
suite() {
    local name=$1
    shift
    echo
    echo "==> $name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "==> $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "==> $name: FAILED ($((SECONDS - start)) s)"
    fi
}
suite_summary() {
    echo
    if ((failed > 0)); then
        echo "failed suites: ${failures[*]}"
    fi
    echo "$1: $passed passed, $failed failed (${SECONDS} s)"
    ((failed == 0))
}
