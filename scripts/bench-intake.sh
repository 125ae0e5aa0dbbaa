#!/usr/bin/env bash
# Report intake benchmark, all numbers from one run on this machine:
#   1. seed a fresh PostgreSQL database (gridloop seed) and time it;
#   2. serve it and drive reportIssue with gridloop loadgen (report=100);
#   3. the same database's own rate for the equivalent raw writes (pgbench: number counter, ticket
#      row, 2 event rows, 1 outbox row per report, in one transaction) at the same concurrency and
#      duration;
#   4. ticket reads by number (loadgen query=100) and the server's peak resident memory;
#   5. cold start to serving on SQLite (empty file, and a restart of a seeded file).
# Loopback only; every loop is bounded. Env knobs: PG_URL, TICKETS, DAYS, CONCURRENCY, DURATION,
# READ_DURATION, PORT, GRIDLOOP (binary; default: build --release into CARGO_TARGET_DIR or target/).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_DB:-gridloop_bench_intake}"
TICKETS="${TICKETS:-1000000}"
DAYS="${DAYS:-30}"
CONCURRENCY="${CONCURRENCY:-64}"
DURATION="${DURATION:-20}"
READ_DURATION="${READ_DURATION:-10}"
PORT="${PORT:-18080}"
SQLITE_TICKETS="${SQLITE_TICKETS:-100000}"
TARGET="${CARGO_TARGET_DIR:-target}"
GRIDLOOP="${GRIDLOOP:-$TARGET/release/gridloop}"
WORK="$(mktemp -d /tmp/gridloop-bench.XXXXXX)"
SERVER_PID=""

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

command -v pgbench >/dev/null || { echo "pgbench not found (Debian: apt-get install postgresql-client)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq not found (apt-get install jq)" >&2; exit 1; }
if [[ ! -x "$GRIDLOOP" || -n "${REBUILD:-}" ]]; then
  cargo build --release --bin gridloop
fi

# A config that keeps evidence and mail out of the work tree; logs at warn; no rate limits (every
# virtual user of loadgen comes from loopback).
cat >"$WORK/gridloop.toml" <<EOF
evidence_dir = "$WORK/evidence"
mail_dir = "$WORK/mail"
log_filter = "warn"
rate_limit_enabled = false
EOF
gl() { "$GRIDLOOP" --config "$WORK/gridloop.toml" "$@"; }

# Starts `gridloop serve` on $1 and waits (at most 60 s) until /healthz answers; STARTUP is the
# time that took, in seconds.
serve() {
  local url="$1" start
  if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
    echo "port $PORT is already serving; stop that first or set PORT" >&2
    return 1
  fi
  start=$(date +%s.%N)
  "$GRIDLOOP" --config "$WORK/gridloop.toml" --database "$url" serve --bind "127.0.0.1:$PORT" \
    >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 6000); do
    if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
      STARTUP=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.2f", a - b }')
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; return 1; }
    sleep 0.01
  done
  echo "server did not come up" >&2
  return 1
}

echo "== machine"
MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(psql "$PG_URL/postgres" -Atc 'show server_version' | cut -d' ' -f1) PostgreSQL on the same machine"
echo "$MACHINE"

echo "== seed $TICKETS tickets over $DAYS days into a fresh PostgreSQL database"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
DB_URL="$PG_URL/$DB"
gl --database "$DB_URL" seed --tickets "$TICKETS" --days "$DAYS" | tee "$WORK/seed.txt"
SEED_LINE="$(grep '^seeded' "$WORK/seed.txt")"

echo "== gridloop reportIssue: loadgen report=100, concurrency $CONCURRENCY, ${DURATION} s"
serve "$DB_URL"
# A wait-event profile of the database while reports run: what its backends wait on, sampled
# every 0.5 s (bounded to the run's length).
(
  for _ in $(seq 1 $((DURATION * 2))); do
    psql "$DB_URL" -Atc "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
      WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()" 2>/dev/null || true
    sleep 0.5
  done >"$WORK/waits.txt"
) &
WAITS_PID=$!
gl loadgen --url "http://127.0.0.1:$PORT" --concurrency "$CONCURRENCY" --duration "$DURATION" \
  --mix report=100 --json >"$WORK/report.json"
wait "$WAITS_PID" || true
echo "database backends during reportIssue (samples by wait event):"
sort "$WORK/waits.txt" | uniq -c | sort -rn | head -6
jq -r '.ops[] | "\(.op): \(.ok) ok, \(.errors) errors, \(.per_second|floor)/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms"' "$WORK/report.json"
jq -r '"errors: \(.errors)"' "$WORK/report.json"
REPORT_RATE=$(jq '.ops[] | select(.op=="report") | .per_second' "$WORK/report.json")
REPORT_P99=$(jq '.ops[] | select(.op=="report") | .p99_ms' "$WORK/report.json")

echo "== ticket reads by number: loadgen query=100, concurrency $CONCURRENCY, ${READ_DURATION} s"
gl loadgen --url "http://127.0.0.1:$PORT" --concurrency "$CONCURRENCY" --duration "$READ_DURATION" \
  --mix query=100 --json >"$WORK/query.json"
READ_RATE=$(jq '.ops[] | select(.op=="query") | .per_second' "$WORK/query.json")
READ_P99=$(jq '.ops[] | select(.op=="query") | .p99_ms' "$WORK/query.json")
echo "query: $(printf '%.0f' "$READ_RATE")/s, p99 $READ_P99 ms"
RSS_PEAK_MB=$(( $(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status") / 1024 ))
RSS_NOW_MB=$(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status") / 1024 ))
echo "server resident memory: peak $RSS_PEAK_MB MB, now $RSS_NOW_MB MB"
stop_server

echo "== raw PostgreSQL: the same writes per report with pgbench, $CONCURRENCY clients, ${DURATION} s"
# Values copied from a real reportIssue of the run above (same row sizes), formatted by PostgreSQL;
# the number comes from a per-day counter row, as in gridloop.
psql "$DB_URL" -At >"$WORK/intake.sql" <<'SQL'
WITH t AS (SELECT * FROM ticket WHERE number NOT LIKE 'PB-%' AND status = 'DISPATCHED' ORDER BY id DESC LIMIT 1),
     e1 AS (SELECT e.* FROM ticket_event e JOIN t ON e.ticket_id = t.id WHERE e.seq = 1),
     e2 AS (SELECT e.* FROM ticket_event e JOIN t ON e.ticket_id = t.id WHERE e.seq = 2),
     n AS (SELECT x.* FROM notification x JOIN t ON x.ticket_id = t.id LIMIT 1)
SELECT 'BEGIN;' UNION ALL
SELECT $f$INSERT INTO ticket_number_seq (day, last) VALUES ('pgbench', 1) ON CONFLICT (day) DO UPDATE SET last = ticket_number_seq.last + 1 RETURNING last AS seq \gset$f$ UNION ALL
SELECT format($f$INSERT INTO ticket (number, status, category_code, priority, description, lat, lon, source, reporter_id, client_request_id, grid_id, community_id, town_id, street_id, lane_id, grid_path, place_path, routed, routed_handler_id, routing_level, routing_explanation, assignee_id, reported_at, first_dispatched_at, dispatched_at, dispatch_due_at, due_at, sla_next_at, sla_stage, version, updated_at) VALUES ('PB-' || :seq, %L, %L, %L, %L, %s, %s, %L, %s, 'pb-' || :client_id || '-' || random(), %s, %s, %s, %s, %s, %L, %L, %L, %s, %L, %L, %s, now(), now(), now(), now() + interval '30 minutes', now() + interval '2 hours', now() + interval '96 minutes', 0, 2, now()) RETURNING id AS tid \gset$f$,
  t.status, t.category_code, t.priority, t.description, t.lat, t.lon, t.source, t.reporter_id,
  coalesce(t.grid_id::text, 'NULL'), coalesce(t.community_id::text, 'NULL'), coalesce(t.town_id::text, 'NULL'),
  coalesce(t.street_id::text, 'NULL'), coalesce(t.lane_id::text, 'NULL'), t.grid_path, t.place_path, t.routed,
  coalesce(t.routed_handler_id::text, 'NULL'), t.routing_level, t.routing_explanation, coalesce(t.assignee_id::text, 'NULL')) FROM t
UNION ALL
SELECT format($f$INSERT INTO ticket_event (ticket_id, seq, kind, from_status, to_status, actor_id, at, data) VALUES (:tid, 1, %L, NULL, %L, %s, now(), %L), (:tid, 2, %L, %L, %L, %s, now(), %L);$f$,
  e1.kind, e1.to_status, e1.actor_id, e1.data, e2.kind, e2.from_status, e2.to_status, e2.actor_id, e2.data) FROM e1, e2
UNION ALL
SELECT format($f$INSERT INTO notification (kind, recipient_id, email, locale, ticket_id, subject, body_text, body_html, status, attempts, next_attempt_at, created_at) VALUES (%L, %s, %L, %L, :tid, %L, %L, %L, 'PENDING', 0, now(), now());$f$,
  n.kind, n.recipient_id, n.email, n.locale, n.subject, n.body_text, n.body_html) FROM n
UNION ALL
SELECT 'END;';
SQL
if [[ $(grep -c '^INSERT' "$WORK/intake.sql") -ne 4 ]]; then
  echo "could not build the pgbench script from the run's rows:" >&2; cat "$WORK/intake.sql" >&2; exit 1
fi
# The brief's raw writes take the number from a sequence (no shared row); the second run uses
# gridloop's per-day counter row, which every report of a day updates.
grep -v 'ticket_number_seq' "$WORK/intake.sql" | sed "s/'PB-' || :seq/'PR-' || nextval('pgbench_ticket_number')/" >"$WORK/raw.sql"
psql "$DB_URL" -qc "CREATE SEQUENCE IF NOT EXISTS pgbench_ticket_number"
pgbench_rate() {
  pgbench -n -c "$CONCURRENCY" -j 2 -T "$DURATION" -f "$1" "$DB_URL" >"$WORK/pgbench.txt" 2>&1 || { cat "$WORK/pgbench.txt" >&2; exit 1; }
  grep -E 'number of failed|latency average|tps' "$WORK/pgbench.txt" >&2
  grep -m1 -oP 'tps = \K[0-9.]+' "$WORK/pgbench.txt"
}
RAW_RATE=$(pgbench_rate "$WORK/raw.sql")
COUNTER_RATE=$(pgbench_rate "$WORK/intake.sql")
FRACTION=$(awk -v a="$REPORT_RATE" -v b="$RAW_RATE" 'BEGIN { printf "%.1f", 100 * a / b }')
echo "raw: $(printf '%.0f' "$RAW_RATE")/s; with the per-day counter row: $(printf '%.0f' "$COUNTER_RATE")/s; reportIssue = $FRACTION % of raw"

echo "== cold start to serving on SQLite"
serve "sqlite://$WORK/cold.db"
COLD_EMPTY=$STARTUP
stop_server
gl --database "sqlite://$WORK/cold.db" seed --tickets "$SQLITE_TICKETS" --days "$DAYS" | grep '^seeded'
serve "sqlite://$WORK/cold.db"
COLD_SEEDED=$STARTUP
stop_server
echo "empty file (migrations included): $COLD_EMPTY s; seeded (10,000 grids, $SQLITE_TICKETS tickets): $COLD_SEEDED s"

echo
echo "== results ($MACHINE)"
printf '| %s | %s |\n' \
  "seed $TICKETS tickets into PostgreSQL" "$SEED_LINE" \
  "reportIssue, $CONCURRENCY clients, ${DURATION} s" "$(printf '%.0f' "$REPORT_RATE")/s, p99 $REPORT_P99 ms" \
  "raw PostgreSQL, same writes (pgbench)" "$(printf '%.0f' "$RAW_RATE")/s" \
  "raw PostgreSQL, same writes + per-day counter row" "$(printf '%.0f' "$COUNTER_RATE")/s" \
  "reportIssue as a share of raw" "$FRACTION %" \
  "ticket(number:) reads, $CONCURRENCY clients" "$(printf '%.0f' "$READ_RATE")/s, p99 $READ_P99 ms" \
  "server resident memory under load" "peak $RSS_PEAK_MB MB" \
  "cold start to serving, SQLite" "empty $COLD_EMPTY s, seeded $COLD_SEEDED s"
