"""A deeply nested JSON posted to the DECP import is refused with a French message, never a
500 (RecursionError), on the import page and in ``manage.py import_decp``."""

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from marches import decp
from marches.models import DonneurOrdre, Marche
from mife import roles

pytestmark = pytest.mark.django_db

MESSAGE = "Le fichier imbrique plus de 32 niveaux de listes ou d'objets"
# Far beyond Python's recursion limit: json.loads itself raises RecursionError.
TRES_PROFOND = b'{"marches": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
# Parsed by json.loads, but no DECP file nests 40 levels.
PROFOND = b'{"marches": [{"objet": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}]}"


@pytest.mark.parametrize("contenu", [TRES_PROFOND, PROFOND], ids=["recursion", "profond"])
def test_page_d_import(client_for, contenu, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The DECP preview runs as a background task: run it at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(roles.FACILITATEUR)
    fichier = SimpleUploadedFile("decp.json", contenu, content_type="application/json")
    # The preview runs as a background task (immediate in tests): its page says why.
    reponse = client.post(reverse("marches:import_decp"), {"fichier": fichier}, follow=True)
    assert reponse.status_code == 200
    texte = " ".join(lxml.html.fromstring(reponse.content.decode()).text_content().split())
    assert MESSAGE in texte
    assert "Fichier refusé" in texte
    assert DonneurOrdre.objects.count() == Marche.objects.count() == 0


@pytest.mark.parametrize("contenu", [TRES_PROFOND, PROFOND], ids=["recursion", "profond"])
def test_commande_import_decp(contenu, tmp_path):
    chemin = tmp_path / "decp.json"
    chemin.write_bytes(contenu)
    with pytest.raises(CommandError, match="niveaux de listes ou d'objets"):
        call_command("import_decp", str(chemin))
    assert Marche.objects.count() == 0


def test_profondeur_des_vrais_fichiers_acceptee():
    rapport = decp.analyser_fichier(b'{"marches": {"marche": [{"a": [[[{"b": [1]}]]]}]}}')
    assert MESSAGE not in " ".join(str(e) for e in rapport.erreurs)
