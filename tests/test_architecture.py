"""The layers of docs/architecture.md are checked by import-linter (``.importlinter``)."""

import subprocess
import sys
import uuid
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports() -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=RACINE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_les_contrats_d_import_sont_tenus():
    resultat = _lint_imports()
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "BROKEN" not in resultat.stdout


def test_un_import_qui_traverse_les_couches_fait_echouer_le_lint():
    """A domain module of ``entreprises`` importing ``heures`` breaks the layering."""
    module = RACINE / "entreprises" / f"zz_violation_{uuid.uuid4().hex[:8]}.py"
    module.write_text("from heures import models  # noqa: F401\n", encoding="utf-8")
    try:
        resultat = _lint_imports()
    finally:
        module.unlink()
    assert resultat.returncode != 0
    assert "Couches du domaine" in resultat.stdout
    assert f"{module.stem} -> heures.models" in resultat.stdout


def test_le_noyau_ne_depend_pas_du_reste_de_mife():
    module = RACINE / "mife" / "core" / f"zz_violation_{uuid.uuid4().hex[:8]}.py"
    module.write_text("from mife import roles  # noqa: F401\n", encoding="utf-8")
    try:
        resultat = _lint_imports()
    finally:
        module.unlink()
    assert resultat.returncode != 0
    assert "Le noyau mife.core" in resultat.stdout


def test_le_journal_n_importe_pas_le_domaine():
    """Every app writes to the journal: it must not depend on them (nor on mife's top)."""
    module = RACINE / "journal" / f"zz_violation_{uuid.uuid4().hex[:8]}.py"
    module.write_text("from heures import models  # noqa: F401\n", encoding="utf-8")
    try:
        resultat = _lint_imports()
    finally:
        module.unlink()
    assert resultat.returncode != 0
    assert "Le journal n'utilise de mife que son noyau" in resultat.stdout
