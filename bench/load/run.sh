#!/usr/bin/env bash
# Load test, end to end and bounded in time (about 4 minutes): a fresh PostgreSQL database
# (elearn_bench_load), `flask db upgrade`, `flask courses sync`, 200 learners seeded through
# register_user, gunicorn on 127.0.0.1 with gunicorn.conf.py, 200 Locust learners for DURATION (figures for
# the whole run and for the phase after all have started), then the bare one-route page under the same
# settings for BARE_DURATION, then the integrity check. Everything stays
# on loopback; gunicorn is stopped and the database dropped on exit (KEEP_DB=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/bench/load
OUT=${OUT:-$HERE/out}
DURATION=${DURATION:-120s}      # learners: 40 s of ramp-up (200 at 5 a second), then the steady phase
BARE_DURATION=${BARE_DURATION:-60s}
USERS=${USERS:-200}
SPAWN_RATE=${SPAWN_RATE:-5}     # learners started per second: sign-in is Argon2id (64 MiB, t=3, ~0.15 s of CPU each)
WORKERS=${WORKERS:-5}          # 2 cores: (2 x cores) + 1
APP_PORT=${APP_PORT:-8101}
BARE_PORT=${BARE_PORT:-8102}
DB=${BENCH_DB:-elearn_bench_load}  # BENCH_DB: another name, when two runs share a PostgreSQL server
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)

mkdir -p "$OUT"
# Installed again whenever requirements.txt changes (a stamp newer than it says the venv matches).
if [ ! -x "$HERE/.venv/bin/locust" ] || [ "$HERE/requirements.txt" -nt "$HERE/.venv/.installed" ]; then
    [ -x "$HERE/.venv/bin/python" ] || python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt" && touch "$HERE/.venv/.installed"
fi

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ "${KEEP_DB:-0}" = 1 ] || "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

# The development config (plain-http cookies; production's are Secure and locust over http would drop them),
# on PostgreSQL, with JSON logs. All 200 learners sign in from 127.0.0.1, so the per-address sign-in limit is
# raised for this run only; it is never disabled, and production keeps its default (30 per minute).
export ELEARN_CONFIG=development
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
export BENCH_DSN="postgresql://postgres@127.0.0.1:5432/$DB"
export SECRET_KEY=bench-load-only-secret
export LOG_FORMAT=json LOG_LEVEL=WARNING
export MAIL_BACKEND=folder MAIL_FOLDER="$OUT/mail"
export LOGIN_RATE_LIMIT_PER_IP="100000 per minute"
export GUNICORN_WORKERS=$WORKERS GUNICORN_ACCESS_LOG=/dev/null
export FLASK_APP=elearn

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" >/dev/null
.venv/bin/flask db upgrade >"$OUT/setup.log" 2>&1
.venv/bin/flask courses sync >>"$OUT/setup.log" 2>&1
PYTHONPATH=$ROOT .venv/bin/python bench/load/seed.py "$USERS" | tee -a "$OUT/setup.log"

wait_for() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

GUNICORN_BIND=127.0.0.1:$APP_PORT timeout 600 .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app >"$OUT/gunicorn-app.log" 2>&1 &
PIDS+=($!)
GUNICORN_BIND=127.0.0.1:$BARE_PORT timeout 600 .venv/bin/gunicorn -c gunicorn.conf.py --pythonpath bench/load \
    bare_app:app >"$OUT/gunicorn-bare.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$APP_PORT/healthz"
wait_for "http://127.0.0.1:$BARE_PORT/"
curl -sSI "http://127.0.0.1:$APP_PORT/healthz" | grep -i '^server:' | tee "$OUT/server-header.txt" || true

run_locust() {  # name, class, port, duration
    STEADY_CSV="$OUT/$1_steady.csv" timeout 400 "$HERE/.venv/bin/locust" -f "$HERE/locustfile.py" "$2" --headless \
        -u "$USERS" -r "$SPAWN_RATE" -t "$4" \
        --host "http://127.0.0.1:$3" --csv "$OUT/$1" --only-summary --stop-timeout 10 >"$OUT/$1.log" 2>&1 || true
}
run_locust app Learner "$APP_PORT" "$DURATION"
run_locust bare BarePage "$BARE_PORT" "$BARE_DURATION"

# Figures from the Aggregated row of each run: requests/s, p50/p95/p99 (ms), failures.
figures() {
    python3 - "$OUT/$1_stats.csv" <<'PY'
import csv, sys
row = next(r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated")
print(f'{row["Request Count"]} {float(row["Requests/s"]):.1f} {row["50%"]} {row["95%"]} {row["99%"]} {row["Failure Count"]}')
PY
}
read -r APP_N APP_RPS APP_P50 APP_P95 APP_P99 APP_FAIL < <(figures app)
read -r BARE_N BARE_RPS BARE_P50 BARE_P95 BARE_P99 BARE_FAIL < <(figures bare)
# The same figures for the requests that started after every learner had started (SteadyPhase in locustfile.py).
steady() { python3 -c "import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(*r.values())" "$OUT/$1_steady.csv"; }
read -r STEADY_N STEADY_RPS STEADY_P50 STEADY_P95 STEADY_P99 STEADY_FAIL < <(steady app)
# An exception inside a Locust task (a page not as expected) is not a failed request: count those as errors too.
exceptions() { python3 -c "import csv,sys; print(sum(int(r['Count']) for r in csv.DictReader(open(sys.argv[1]))))" "$1"; }
APP_FAIL=$((APP_FAIL + $(exceptions "$OUT/app_exceptions.csv")))
# A learner whose on_start failed never appears as a failed request: every learner must have signed in once.
SIGNED_IN=$(python3 -c "import csv,sys; print(sum(int(r['Request Count']) - int(r['Failure Count']) for r in csv.DictReader(open(sys.argv[1])) if r['Name'] == '/login'))" "$OUT/app_stats.csv")
BARE_FAIL=$((BARE_FAIL + $(exceptions "$OUT/bare_exceptions.csv")))

# Integrity: every submitted attempt has a score; certificates == passed attempts, one per attempt.
read -r SUBMITTED SCORED PASSED CERTS CERT_ATTEMPTS < <("${PSQL[@]}" -F ' ' -d "$DB" -c "
    SELECT (SELECT count(*) FROM attempts WHERE submitted_at IS NOT NULL),
           (SELECT count(*) FROM attempts WHERE submitted_at IS NOT NULL AND score_percent IS NOT NULL),
           (SELECT count(*) FROM attempts WHERE passed),
           (SELECT count(*) FROM certificates),
           (SELECT count(DISTINCT attempt_id) FROM certificates)")

{
    echo "| run | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    echo "| elearn, $USERS learners, whole run ($DURATION) | $APP_N | $APP_RPS | $APP_P50 | $APP_P95 | $APP_P99 | $APP_FAIL |"
    echo "| elearn, after all $USERS had started | $STEADY_N | $STEADY_RPS | $STEADY_P50 | $STEADY_P95 | $STEADY_P99 | $STEADY_FAIL |"
    echo "| bare Flask page (ceiling) | $BARE_N | $BARE_RPS | $BARE_P50 | $BARE_P95 | $BARE_P99 | $BARE_FAIL |"
    echo
    echo "attempts submitted $SUBMITTED, with a score $SCORED; passed $PASSED; certificates $CERTS for $CERT_ATTEMPTS attempts"
} | tee "$OUT/summary.md"

status=0
[ "$APP_FAIL" = 0 ] && [ "$BARE_FAIL" = 0 ] && [ "$STEADY_FAIL" = 0 ] || { echo "FAIL: requests failed" >&2; status=1; }
[ "$SUBMITTED" = "$SCORED" ] || { echo "FAIL: a submitted attempt has no score" >&2; status=1; }
[ "$PASSED" = "$CERTS" ] && [ "$CERTS" = "$CERT_ATTEMPTS" ] || { echo "FAIL: certificates != passed attempts" >&2; status=1; }
[ "$SIGNED_IN" = "$USERS" ] || { echo "FAIL: $SIGNED_IN of $USERS learners signed in" >&2; status=1; }
[ "$SUBMITTED" -gt 0 ] || { echo "FAIL: no attempt was submitted" >&2; status=1; }
exit $status
