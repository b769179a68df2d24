#!/bin/sh
# Run every fuzz target for SECONDS each, starting from its seed corpus.
# New inputs go to tests/fuzz/work/<target> (kept between runs, ignored by
# git); a crash leaves its input there too and fails the run.
#   tests/fuzz/run.sh SECONDS [target...]
set -e
cd "$(dirname "$0")"
seconds=${1:?usage: run.sh SECONDS [target...]}
shift
targets=${*:-agent args calist careq cover hello learned stacks}
status=0
for t in $targets; do
    mkdir -p "work/$t"
    printf 'fuzz_%-7s %4ss: ' "$t" "$seconds"
    if ../../build/fuzz/fuzz_"$t" -max_total_time="$seconds" -max_len=65536 \
           -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
           -artifact_prefix="work/$t-" "work/$t" "corpus/$t" \
           >"work/$t.log" 2>&1; then
        grep -E '^stat::number_of_executed_units' "work/$t.log" \
            | awk '{printf "%s runs, ", $2}'
        grep -E '^stat::new_units_added' "work/$t.log" \
            | awk '{printf "%s new inputs, no failure\n", $2}'
    else
        echo "FAILED; see tests/fuzz/work/$t.log"
        grep -E 'ERROR|invariant broken|SUMMARY' "work/$t.log" | head -5
        status=1
    fi
done
exit $status
