#!/bin/sh
# A team's store on one machine: PostgreSQL holding MLflow's runs and Optuna's studies, and an
# MLflow server in front of it that also serves the artifacts. Loopback only (127.0.0.1).
#
#   scripts/team_store.sh start [PG_PORT] [MLFLOW_PORT]   # prints the two URLs to use
#   scripts/team_store.sh stop
#
# Needs Debian's postgresql (apt-get install -y postgresql) and the `team` extra
# (pip install -e ".[team]": psycopg2). State lives in $LATENTLAW_TEAM_DIR (default
# /tmp/latentlaw-team), owned by the postgres user so the server can run as it when we are root.
set -eu
DIR=${LATENTLAW_TEAM_DIR:-/tmp/latentlaw-team}
PG_PORT=${2:-55432}
MLFLOW_PORT=${3:-5055}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
MLFLOW=${MLFLOW:-$(dirname "$(readlink -f "$0")")/../.venv/bin/mlflow}  # or MLFLOW=/path/to/venv/bin/mlflow
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
  [ -n "$PGBIN" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2; exit 1; }
  [ -x "$MLFLOW" ] || { echo "no mlflow at $MLFLOW: run make setup, or set MLFLOW=<venv>/bin/mlflow" >&2; exit 1; }
  mkdir -p "$DIR/pg" "$DIR/artifacts"
  [ "$(id -u)" = 0 ] && chown -R postgres "$DIR/pg" && chmod 755 "$DIR"
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    as_postgres "$PGBIN/initdb" -D "$DIR/pg" -A trust -U latentlaw >/dev/null
  fi
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1 ||
    as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w \
      -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1" start >/dev/null
  for db in mlflow optuna; do
    "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U latentlaw -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
      "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U latentlaw "$db"
  done
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false nohup "$MLFLOW" server \
    --backend-store-uri "postgresql+psycopg2://latentlaw@127.0.0.1:$PG_PORT/mlflow" \
    --artifacts-destination "$DIR/artifacts" --serve-artifacts \
    --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 >"$DIR/mlflow.log" 2>&1 &
  echo $! >"$DIR/mlflow.pid"
  i=0
  until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$MLFLOW_PORT/health', timeout=2)" 2>/dev/null; do
    kill -0 "$(cat "$DIR/mlflow.pid")" 2>/dev/null || { echo "mlflow server exited; see $DIR/mlflow.log" >&2; exit 1; }
    i=$((i + 1)); [ $i -lt 180 ] || { echo "mlflow server did not start; see $DIR/mlflow.log" >&2; exit 1; }
    sleep 1
  done
  echo "export MLFLOW_TRACKING_URI=http://127.0.0.1:$MLFLOW_PORT"
  # MLflow 3.17's telemetry thread edits os.environ while a new worker's first request copies it
  # (KeyError '_MLFLOW_TELEMETRY_SESSION_ID' in parallel sweeps against a server): keep it off.
  echo "export MLFLOW_DISABLE_TELEMETRY=true"
  echo "export LATENTLAW_OPTUNA_STORAGE=postgresql+psycopg2://latentlaw@127.0.0.1:$PG_PORT/optuna"
  ;;
stop)
  [ -f "$DIR/mlflow.pid" ] && kill "$(cat "$DIR/mlflow.pid")" 2>/dev/null || true
  rm -f "$DIR/mlflow.pid"
  [ -n "$PGBIN" ] && [ -f "$DIR/pg/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg" -w stop >/dev/null || true
  ;;
*)
  echo "usage: $0 start [PG_PORT] [MLFLOW_PORT] | stop" >&2; exit 2 ;;
esac
