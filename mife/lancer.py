"""``make run``: starts the task worker and the development server together, and stops both
cleanly on Ctrl-C (SIGINT) or SIGTERM.

Each child runs in its own process group (the server's autoreloader has a child of its own):
the signal is forwarded to each group, then the launcher waits for them, and kills what is
still there after a delay. No Django import here: this only starts processes.

Usage: ``python -m mife.lancer HOTE PORT`` (the Makefile passes ``HOST`` and ``PORT``);
``SITE_URL``, when the environment does not set it, becomes ``http://HOTE:PORT``.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

DELAI_ARRET = 15  # seconds given to the children before SIGKILL


def commandes(hote: str, port: str) -> list[list[str]]:
    python = sys.executable
    return [
        [python, "manage.py", "db_worker"],
        [python, "manage.py", "runserver", f"{hote}:{port}"],
    ]


def adresse(hote: str, port: str) -> str:
    hote = f"[{hote}]" if ":" in hote and not hote.startswith("[") else hote
    return f"http://{hote}:{port}"


def _signaler(enfants: list[subprocess.Popen], signum: int) -> None:
    for enfant in enfants:
        if enfant.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(enfant.pid, signum)


def lancer(liste: list[list[str]], env: dict[str, str] | None = None) -> int:
    """Run the commands side by side until a signal arrives or one of them stops; then stop
    them all (the same signal, SIGKILL after ``DELAI_ARRET``) and wait. Returns the exit code."""
    recu: list[int] = []

    def noter(signum, _frame):
        recu.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, noter)
    enfants = [subprocess.Popen(commande, env=env, start_new_session=True) for commande in liste]
    while not recu and all(enfant.poll() is None for enfant in enfants):
        time.sleep(0.2)
    _signaler(enfants, recu[0] if recu else signal.SIGTERM)
    limite = time.monotonic() + DELAI_ARRET
    while any(enfant.poll() is None for enfant in enfants) and time.monotonic() < limite:
        time.sleep(0.2)
    _signaler(enfants, signal.SIGKILL)
    for enfant in enfants:
        enfant.wait()
        # The server's autoreloader leaves its own child in the same group: end it too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(enfant.pid, signal.SIGKILL)
    if recu:
        print("\nServeur et worker arrêtés.", flush=True)
        return 0
    return max(enfant.returncode or 0 for enfant in enfants) or 1


def main(arguments: list[str]) -> int:
    hote, port = arguments
    env = dict(os.environ)
    env.setdefault("SITE_URL", adresse(hote, port))
    print(
        f"Démarrage du worker de tâches et du serveur sur {adresse(hote, port)}/ "
        f"(adresse imprimée dans les documents : {env['SITE_URL']}) ; Ctrl-C arrête les deux.",
        flush=True,
    )
    return lancer(commandes(hote, port), env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
