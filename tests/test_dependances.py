"""Production and development dependencies in separate locks: the production lock holds no
test or development tool, and the development lock pins the production packages to the same
versions (``-c requirements.lock``)."""

import re
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
OUTILS = {
    "pytest",
    "pytest-django",
    "factory-boy",
    "faker",
    "playwright",
    "ruff",
    "import-linter",
    "locust",
}


def epingles(nom_fichier: str) -> dict[str, str]:
    texte = (RACINE / nom_fichier).read_text(encoding="utf-8")
    return {
        nom.lower().replace("_", "-"): version
        for nom, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", texte, re.M)
    }


def test_le_verrou_de_production_ne_contient_aucun_outil_de_test():
    production = epingles("requirements.lock")
    assert "django" in production and "gunicorn" in production
    assert not {nom for nom in production if nom in OUTILS or nom.startswith("pytest")}


def test_le_verrou_de_developpement_reprend_la_production_aux_memes_versions():
    production = epingles("requirements.lock")
    developpement = epingles("requirements-dev.lock")
    assert OUTILS - {"faker"} <= set(developpement)
    differences = {
        nom: (version, developpement.get(nom))
        for nom, version in production.items()
        if developpement.get(nom) != version
    }
    assert differences == {}
    entrees = (RACINE / "requirements-dev.in").read_text(encoding="utf-8").splitlines()
    assert "-c requirements.lock" in entrees and "-r requirements.in" in entrees
    production_in = (RACINE / "requirements.in").read_text(encoding="utf-8").lower()
    assert not [o for o in OUTILS if re.search(rf"^{re.escape(o)}\b", production_in, re.M)]


def test_chaque_paquet_est_verrouille_avec_ses_empreintes():
    for nom_fichier in ("requirements.lock", "requirements-dev.lock"):
        texte = (RACINE / nom_fichier).read_text(encoding="utf-8")
        blocs = re.findall(
            r"^[A-Za-z0-9_.\-]+==\S+ \\\n((?:\s+--hash=sha256:\w+ ?\\?\n?)+)", texte, re.M
        )
        assert len(blocs) == len(epingles(nom_fichier)), nom_fichier
