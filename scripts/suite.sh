# Sourced by scripts/test.sh and scripts/quick-test.sh: the suite runner they share.
#   suite NAME COMMAND [ARG...]   runs COMMAND, prints "==> NAME: ok|FAILED (N s)",
#                                 and counts it in $passed / $failed / $failures.
#   suite_bg NAME COMMAND [ARG...]
#                                 starts COMMAND now, in the background at the lowest CPU
#                                 priority (or at SUITE_BG_NICE), its output kept: for a
#                                 CPU-bound suite that needs no server, which then runs on
#                                 what the server suites leave idle while they wait on
#                                 servers, or a suite that mostly waits itself.
#   suite_join NAME               waits for it, prints its output and counts it as `suite`
#                                 does (the time is from its start to its end).
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
declare -A bg_pid=() bg_dir=()
suite_bg() {
    local name=$1
    shift
    local dir
    dir=$(mktemp -d)
    bg_dir[$name]=$dir
    echo
    echo "==> $name: started in the background"
    (
        start=$SECONDS
        nice -n "${SUITE_BG_NICE:-19}" "$@" >"$dir/out" 2>&1
        rc=$?
        echo $((SECONDS - start)) >"$dir/secs"
        exit $rc
    ) &
    bg_pid[$name]=$!
    # A background suite never outlives the run that started it.
    trap 'kill "${bg_pid[@]}" 2>/dev/null' EXIT
}
suite_join() {
    local name=$1 rc=0
    wait "${bg_pid[$name]}" || rc=$?
    local dir=${bg_dir[$name]}
    echo
    echo "==> $name (ran in the background)"
    cat "$dir/out"
    local secs
    secs=$(cat "$dir/secs" 2>/dev/null || echo "?")
    if ((rc == 0)); then
        passed=$((passed + 1))
        echo "==> $name: ok ($secs s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "==> $name: FAILED ($secs s)"
    fi
    rm -rf "$dir"
}
suite_summary() {
    echo
    if ((failed > 0)); then
        echo "failed suites: ${failures[*]}"
    fi
    echo "$1: $passed passed, $failed failed (${SECONDS} s)"
    ((failed == 0))
}
