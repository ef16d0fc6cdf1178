"""French grammar of generated text, in one place: elision (« d'octobre », « l'Agence »),
articles and prepositions before a name (« de la MIFE », « au Conseil départemental », « à
l'Agence »), agreement of a past participle with the grammatical gender of a model
(« Opération enregistrée », « Lot enregistré »).

A name is stored with its article (``Article``: « la », « le », « l' », « les » or none); the
helpers put the preposition in front and contract it (« de le » → « du », « à les » → « aux »).
Without an article, the name is used as a proper noun (« à Pôle Insertion », « d'Emploi 90 »).
"""

from django.db import models

from mife.core.formats import MOIS
from mife.core.texte import sans_accents

FEMININ = "f"
MASCULIN = "m"


class Article(models.TextChoices):
    LA = "la", "la (« la MIFE »)"
    LE = "le", "le (« le Conseil départemental »)"
    L = "l'", "l' (« l'Agence »)"
    LES = "les", "les (« les Compagnons »)"
    AUCUN = "", "aucun (nom propre : « Pôle Insertion »)"


# « de » and « à » followed by le / les contract; before la / l' they stay apart.
_CONTRACTIONS = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}
_VOYELLES = "aeiouyh"  # « h » muet: « d'Héricourt », « l'hôpital » (h aspiré is rare in names)


def commence_par_voyelle(mot: str) -> bool:
    mot = sans_accents(mot.strip()).lower()
    return bool(mot) and mot[0] in _VOYELLES


def elision(mot: str, suivant: str) -> str:
    """``elision("de", "avril")`` → ``« d'avril »`` ; ``elision("de", "mai")`` → ``« de mai »``.
    Elides « de », « le », « la », « que », « ne », « je », « se » before a vowel or a mute h."""
    if mot.lower() in {"de", "le", "la", "que", "ne", "je", "se"} and commence_par_voyelle(suivant):
        return f"{mot[:-1]}'{suivant}"
    return f"{mot} {suivant}"


def _article(nom: str, article: str) -> str:
    if article == Article.L:
        return f"l'{nom}"
    if article in {Article.LA, Article.LE} and commence_par_voyelle(nom):
        return f"l'{nom}"
    return f"{article} {nom}" if article else nom


def avec_article(nom: str, article: str = "", majuscule: bool = False) -> str:
    """``« la MIFE du Territoire de Belfort »`` (``« La MIFE… »`` at the start of a sentence)."""
    texte = _article(nom, article)
    return texte[:1].upper() + texte[1:] if majuscule else texte


def _preposition(preposition: str, nom: str, article: str) -> str:
    contraction = _CONTRACTIONS.get((preposition, article))
    if contraction and not (article == Article.LE and commence_par_voyelle(nom)):
        return f"{contraction} {nom}"
    if article:
        return f"{preposition} {_article(nom, article)}"
    return elision(preposition, nom) if preposition == "de" else f"{preposition} {nom}"


def de(nom: str, article: str = "") -> str:
    """``« de la MIFE »``, ``« du Conseil départemental »``, ``« de l'Agence »``, ``« des
    Compagnons »``, ``« d'Emploi 90 »`` (no article), ``« de Belfort »``."""
    return _preposition("de", nom, article)


def a(nom: str, article: str = "") -> str:
    """``« à la MIFE »``, ``« au Conseil départemental »``, ``« à l'Agence »``, ``« aux
    Compagnons »``, ``« à Belfort »``."""
    return _preposition("à", nom, article)


def par(nom: str, article: str = "") -> str:
    """``« par la Ville de Belfort »``, ``« par l'Office »`` ; without an article the name is
    a proper noun: ``« par Territoire Habitat »``."""
    return f"par {_article(nom, article)}"


def de_mois(valeur, annee: bool = True) -> str:
    """``« d'octobre 2026 »``, ``« de novembre 2026 »``, ``« d'août »`` (``annee=False``): a
    month after « de », elided before a vowel."""
    if not valeur:
        return ""
    nom = MOIS[valeur.month - 1]
    return elision("de", f"{nom} {valeur.year}" if annee else nom)


def genre(modele) -> str:
    """The grammatical gender of a model (class or instance), declared once on the model as
    ``genre_grammatical = FEMININ`` (masculine when absent)."""
    return getattr(modele, "genre_grammatical", MASCULIN)


def accorde(participe: str, modele=None, *, feminin: bool | None = None, pluriel=False) -> str:
    """``accorde("enregistré", operation)`` → ``« enregistrée »``: the past participle agreed
    with the gender of ``modele`` (or ``feminin``) and the number."""
    if feminin is None:
        feminin = genre(modele) == FEMININ
    return participe + ("e" if feminin else "") + ("s" if pluriel else "")


def nom_du_modele(modele, majuscule: bool = True) -> str:
    """``« Opération »``: the model's ``verbose_name``, capitalised."""
    nom = str(modele._meta.verbose_name)
    return nom[:1].upper() + nom[1:] if majuscule else nom


def pluriel(nombre: int, singulier: str, pluriel: str = "") -> str:
    """``« 1 membre convoqué »``, ``« 3 membres convoqués »`` (0 and 1 take the singular in
    French); ``pluriel`` defaults to the singular plus « s »."""
    return f"{nombre} {singulier if abs(nombre) < 2 else (pluriel or singulier + 's')}"


def nouveau(modele) -> str:
    """``« Nouvelle opération »``, ``« Nouveau marché »``, ``« Nouvel échange »``."""
    nom = nom_du_modele(modele, majuscule=False)
    if genre(modele) == FEMININ:
        return f"Nouvelle {nom}"
    return f"Nouvel {nom}" if commence_par_voyelle(nom) else f"Nouveau {nom}"
