"""``make run``: the address the documents carry follows HOST/PORT, and Ctrl-C stops the server
and the worker (and their autoreloader children) without leaving a process behind."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from mife import lancer

RACINE = Path(__file__).resolve().parent.parent


def _vivant(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent is dead too.
    etat = Path(f"/proc/{pid}/stat")
    return not (etat.exists() and etat.read_text().split(")")[-1].split()[0] == "Z")


def test_make_run_passe_son_adresse():
    sortie = subprocess.run(
        [
            "make",
            "-n",
            "-o",
            ".venv/.installed",
            "-o",
            "migrate",
            "run",
            "HOST=0.0.0.0",
            "PORT=8101",
        ],
        cwd=RACINE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m mife.lancer 0.0.0.0 8101" in sortie
    # The demo's attestations, issued by seed_demo before the server starts, carry it too.
    assert 'SITE_URL="${SITE_URL:-http://0.0.0.0:8101}"' in sortie
    assert sortie.index("seed_demo") < sortie.index("mife.lancer")
    assert "kill 0" not in sortie  # the trap that re-signalled itself until it crashed


def test_site_url_deduite_de_l_hote_et_du_port(monkeypatch):
    vus = {}
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(lancer, "lancer", lambda commandes, env: vus.update(env=env) or 0)
    assert lancer.main(["127.0.0.1", "8101"]) == 0
    assert vus["env"]["SITE_URL"] == "http://127.0.0.1:8101"
    assert lancer.adresse("::1", "8000") == "http://[::1]:8000"
    # An address set by the environment wins (a developer behind a tunnel…).
    monkeypatch.setenv("SITE_URL", "https://demo.example.org")
    lancer.main(["127.0.0.1", "8101"])
    assert vus["env"]["SITE_URL"] == "https://demo.example.org"


def test_site_url_absente_en_production_n_est_pas_localhost():
    """In production an unset SITE_URL is empty (check --deploy then fails with mife.E101)
    instead of silently printing a localhost address on the attestations."""
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60}
    env.pop("SITE_URL", None)
    sortie = subprocess.run(
        [sys.executable, "-c", "import mife.settings as s; print(repr(s.SITE_URL))"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sortie.strip() == "''"


# A child like runserver or db_worker: it starts an autoreloader child in its own process
# group that ignores SIGINT and SIGTERM (the worst case), writes both pids, and dies on SIGINT.
ENFANT = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    petit = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
    with open(sys.argv[1], "a") as f:
        f.write(f"{petit.pid}\\n")
    time.sleep(120)
    """
)

LANCEUR = textwrap.dedent(
    """
    import sys
    from mife import lancer
    enfant = [sys.executable, "-c", sys.argv[1], sys.argv[2]]
    sys.exit(lancer.lancer([enfant, enfant]))
    """
)


def test_ctrl_c_arrete_serveur_et_worker_sans_orphelin(tmp_path):
    pids = tmp_path / "pids"
    pids.write_text("")
    processus = subprocess.Popen(
        [sys.executable, "-c", LANCEUR, ENFANT, str(pids)],
        cwd=RACINE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # like a terminal's foreground group receiving Ctrl-C
        # SIGINT is ignored by default in a background job: the launcher must not depend on it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    limite = time.monotonic() + 20
    while len(pids.read_text().split()) < 2 and time.monotonic() < limite:
        time.sleep(0.1)
    petits_enfants = [int(pid) for pid in pids.read_text().split()]
    assert len(petits_enfants) == 2
    os.killpg(processus.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
    sortie, _ = processus.communicate(timeout=30)
    assert processus.returncode == 0
    assert "Segmentation" not in sortie
    assert "Serveur et worker arrêtés." in sortie
    time.sleep(0.3)
    assert not [pid for pid in petits_enfants if _vivant(pid)]
