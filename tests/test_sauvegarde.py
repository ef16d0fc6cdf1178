"""``make backup`` then ``make restore``: the restored database is the same, row for row.

PostgreSQL only (pg_dump / pg_restore): CI runs the suite on PostgreSQL. Checked: every table
has the same row count, and every attestation the same number, status and SHA-256 of its PDF
(what a public verification compares).
"""

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from heures.models import Attestation, GenerationAttestations
from heures.services import generation
from tests.test_generation_attestations import MOIS, _validees

POSTGRESQL_SEULEMENT = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="sauvegarde et restauration par pg_dump / pg_restore : PostgreSQL seulement "
    "(lancez la suite avec DATABASE_URL=postgres://…, comme la CI)",
)
pytestmark = pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("make")),
    reason="pg_dump, pg_restore ou make introuvables",
)
RACINE = Path(settings.BASE_DIR)


def _parametres(nom: str) -> dict:
    r = connection.settings_dict
    return {
        k: v
        for k, v in {
            "dbname": nom,
            "user": r["USER"],
            "password": r["PASSWORD"],
            "host": r["HOST"],
            "port": r["PORT"],
        }.items()
        if v
    }


def _url(nom: str) -> str:
    r = connection.settings_dict
    auth = r["USER"] + (f":{r['PASSWORD']}" if r["PASSWORD"] else "")
    return f"postgres://{auth}@{r['HOST'] or '127.0.0.1'}:{r['PORT'] or 5432}/{nom}"


def _etat(nom: str) -> tuple[dict, list]:
    """(row count of every table, attestations as (number, status, sha256)) of database ``nom``."""
    with psycopg.connect(**_parametres(nom)) as c:
        tables = [
            t
            for (t,) in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        comptes = {t: c.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        attestations = c.execute(
            "SELECT numero, statut, sha256 FROM heures_attestation ORDER BY numero"
        ).fetchall()
    return comptes, attestations


def _make(*arguments) -> str:
    resultat = subprocess.run(
        ["make", "--no-print-directory", "-s", *arguments],
        cwd=RACINE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resultat.returncode == 0, resultat.stderr
    return resultat.stdout


@POSTGRESQL_SEULEMENT
@pytest.mark.django_db(transaction=True)
def test_sauvegarde_puis_restauration_dans_une_nouvelle_base(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    _validees(3)
    g = GenerationAttestations.objects.create(mois=MOIS)
    generation.executer(g.pk)
    assert Attestation.objects.filter(sha256__regex=r"^[0-9a-f]{64}$").count() == 3

    source = connection.settings_dict["NAME"]
    avant = _etat(source)
    sortie = _make("backup", f"DATABASE_URL={_url(source)}", f"SAUVEGARDES={tmp_path}")
    fichier = Path(sortie.strip().splitlines()[-1])
    assert fichier.parent == tmp_path and fichier.name.startswith("clauses-")
    assert fichier.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    cible = f"test_restauration_{uuid.uuid4().hex[:8]}"
    r = connection.settings_dict
    try:
        _make(
            "restore",
            f"FICHIER={fichier}",
            f"CIBLE={cible}",
            f"PGHOST={r['HOST'] or '127.0.0.1'}",
            f"PGUSER={r['USER']}",
        )
        comptes, attestations = _etat(cible)
    finally:
        with psycopg.connect(**_parametres("postgres"), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{cible}"')
    assert comptes == avant[0]
    assert comptes["heures_attestation"] == 3 and comptes["marches_lot"] == 3
    assert attestations == avant[1]


def test_sauvegarde_refusee_sans_base_postgresql():
    resultat = subprocess.run(
        ["make", "-s", "backup", "DATABASE_URL=sqlite:///db.sqlite3"],
        cwd=RACINE,
        capture_output=True,
        text=True,
    )
    assert resultat.returncode != 0
    assert "doit désigner la base PostgreSQL" in resultat.stdout + resultat.stderr


def test_restauration_sans_fichier_explique_l_usage():
    resultat = subprocess.run(["make", "-s", "restore"], cwd=RACINE, capture_output=True, text=True)
    assert resultat.returncode != 0
    assert "usage : make restore FICHIER=" in resultat.stdout + resultat.stderr
