#!/usr/bin/env bash
# Scenario A between s3ferry binaries and s5cmd, for diagnosing a change:
#
#   BINS="old=/tmp/s3ferry-old new=/tmp/s3ferry-new" \
#     bench/run.sh --no-build --exec 'bash bench/compare-a.sh'
#
# Each repetition runs every binary and s5cmd once, the first one rotating;
# every run's destination is deleted afterwards and the server gets 3 s to
# settle before the next (the first run after a clean-up is otherwise slower).
# Prints median wall time, client CPU (user+sys) and peak RSS per binary.
set -euo pipefail
: "${ENDPOINT:?run through bench/run.sh --exec}"
REPS=${REPS:-3}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
tools=(${BINS:-} s5cmd=s5cmd)

run() {
    local name=$1 bin=$2
    if [ "$bin" = s5cmd ]; then
        /usr/bin/time -f "$name %e %U %S %M" -a -o "$OUT" \
            "$S5CMD" --endpoint-url "$ENDPOINT" cp "s3://bench-a/dsA-10000/*" "s3://bench-b/diag/$name/" >/dev/null
    else
        local data
        data=$(mktemp -d)
        S3FERRY_DATA=$data /usr/bin/time -f "$name %e %U %S %M" -a -o "$OUT" \
            "$bin" --endpoint-url "$ENDPOINT" cp --no-progress s3://bench-a/dsA-10000/ "s3://bench-b/diag/$name/" >/dev/null 2>&1
        rm -rf "$data"
    fi
    "$S5CMD" --endpoint-url "$ENDPOINT" rm "s3://bench-b/diag/*" >/dev/null
    sleep 3
}

n=${#tools[@]}
for i in $(seq 1 "$REPS"); do
    for j in $(seq 0 $((n - 1))); do
        spec=${tools[$(((i + j) % n))]}
        run "${spec%%=*}" "${spec#*=}"
    done
done
python3 - "$OUT" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 5:
        runs[f[0]].append((float(f[1]), float(f[2]) + float(f[3]), int(f[4]) / 1024))
for name, v in runs.items():
    walls = ", ".join(f"{w:.2f}" for w, _, _ in v)
    print(f"{name:10} wall s [{walls}] median {statistics.median(w for w, _, _ in v):.2f}"
          f"  CPU s median {statistics.median(c for _, c, _ in v):.2f}"
          f"  peak RSS {max(r for _, _, r in v):.0f} MiB")
PY
