#!/usr/bin/env bash
# make load (bench/README.md): gunicorn (2 workers) and the task worker on 127.0.0.1 against the
# bench database, then a bounded headless Locust run; writes bench/load.json and stops
# everything it started, by process id. Environment: what `make load` sets (BENCH_ENV), PY
# (the project's Python), PORT; LOAD_USERS, LOAD_DUREE, LOAD_DEBUT_LOT to change the run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
PORT=${PORT:-8790}
HOTE=127.0.0.1
LOAD_USERS=${LOAD_USERS:-50}
LOAD_DUREE=${LOAD_DUREE:-60}
export LOAD_DEBUT_LOT=${LOAD_DEBUT_LOT:-$((LOAD_DUREE / 2))}
LOCUST=${LOCUST:-$(dirname "$PY")/locust}
JOURNAUX=bench/load-logs
mkdir -p "$JOURNAUX"

if [ ! -x "$LOCUST" ]; then
    echo "Locust introuvable ($LOCUST) : installez requirements-dev.lock (make install)." >&2
    exit 2
fi
if (exec 3<>"/dev/tcp/$HOTE/$PORT") 2>/dev/null; then
    echo "Le port $HOTE:$PORT est déjà pris : choisissez-en un autre (make load LOAD_PORT=…)." >&2
    exit 2
fi

"$PY" manage.py shell -c "from mife.bench import charge; charge.ecrire_sessions('$JOURNAUX/sessions.json')"
export LOAD_SESSIONS="$JOURNAUX/sessions.json"

PIDS=()
arreter() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap arreter EXIT INT TERM

"$PY" -m gunicorn mife.wsgi --bind "$HOTE:$PORT" --workers 2 --timeout 120 \
    --access-logfile "$JOURNAUX/gunicorn-acces.log" --error-logfile "$JOURNAUX/gunicorn.log" &
PIDS+=($!)
"$PY" manage.py db_worker --interval 1 >"$JOURNAUX/worker.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 1 120); do
    if "$PY" - "$HOTE" "$PORT" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/connexion/", timeout=2)
EOF
    sleep 1
done

echo "Charge : $LOAD_USERS utilisateurs pendant $LOAD_DUREE s sur http://$HOTE:$PORT/ (lot d'attestations à ${LOAD_DEBUT_LOT} s)"
set +e
"$LOCUST" -f bench/locustfile.py --headless --host "http://$HOTE:$PORT" \
    --users "$LOAD_USERS" --spawn-rate 10 --run-time "${LOAD_DUREE}s" --stop-timeout 10 \
    --csv bench/load --only-summary >"$JOURNAUX/locust.log" 2>&1
CODE_LOCUST=$?
set -e

"$PY" - "$LOAD_USERS" "$LOAD_DUREE" "$CODE_LOCUST" <<'EOF'
"""bench/load_stats.csv -> bench/load.json, and the table printed at the end."""
import csv, json, os, subprocess, sys
from datetime import datetime

utilisateurs, duree, code = (int(v) for v in sys.argv[1:])
with open("bench/load_stats.csv", newline="") as f:
    lignes = list(csv.DictReader(f))
pages = []
for l in lignes:
    pages.append({
        "methode": l["Type"], "nom": l["Name"], "requetes": int(l["Request Count"]),
        "erreurs": int(l["Failure Count"]), "p50_ms": float(l["50%"] or 0),
        "p95_ms": float(l["95%"] or 0), "max_ms": float(l["Max Response Time"] or 0),
    })
total = next(p for p in pages if p["nom"] == "Aggregated")
commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
resultat = {
    "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    "commit": commit, "coeurs": os.cpu_count(), "utilisateurs": utilisateurs, "duree_s": duree,
    "requetes": total["requetes"], "erreurs": total["erreurs"], "p95_ms": total["p95_ms"],
    "code_locust": code, "pages": [p for p in pages if p["nom"] != "Aggregated"],
}
with open("bench/load.json", "w") as f:
    json.dump(resultat, f, ensure_ascii=False, indent=2)
    f.write("\n")
print(f"{'page':<58} {'req.':>6} {'err.':>5} {'p50 ms':>8} {'p95 ms':>8}")
for p in sorted(resultat["pages"], key=lambda p: -p["p95_ms"]):
    print(f"{p['methode'] + ' ' + p['nom']:<58.58} {p['requetes']:>6} {p['erreurs']:>5} {p['p50_ms']:>8.0f} {p['p95_ms']:>8.0f}")
print(f"Total : {resultat['requetes']} requêtes, {resultat['erreurs']} erreur(s), p95 {resultat['p95_ms']:.0f} ms"
      " — bench/load.json")
EOF
exit "$CODE_LOCUST"
