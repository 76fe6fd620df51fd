#!/usr/bin/env bash
# The test command: installs what the tests need (moto server and the AWS CLI
# into .venv), starts moto on a free loopback port, and runs every test.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test it engine::`).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY_PACKAGES=("moto[server]==5.2.5" "awscli==1.46.3")
if ! "$VENV/bin/python" -c 'import moto, awscli' 2>/dev/null; then
    echo "==> installing moto server and the AWS CLI into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
fi

mkdir -p target
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" > target/moto.log 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if "$VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
        echo "moto server failed to start:" >&2
        cat target/moto.log >&2
        exit 1
    fi
    sleep 0.2
done
export S3FERRY_TEST_MOTO_URL="http://127.0.0.1:$PORT"
export AWS_EC2_METADATA_DISABLED=true

echo "==> moto server on $S3FERRY_TEST_MOTO_URL"
cargo test --all-targets "$@"
