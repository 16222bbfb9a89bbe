#!/bin/sh
# The release's start command: turn slotswap's environment into the program's own flags, then exec it,
# so that the program replaces this shell (same pid, gets SIGTERM directly, no shell left in between).
set -eu
cd "$(dirname "$0")"
: "${PORT:?slotswap sets PORT}"
: "${HOST:=127.0.0.1}"
echo "start.sh: starting bin/server $SLOTSWAP_VERSION on $HOST:$PORT (slot $SLOTSWAP_SLOT, instance $SLOTSWAP_INSTANCE)"
exec ./bin/server --listen "$HOST:$PORT" --health /healthz --greeting "$GREETING"
