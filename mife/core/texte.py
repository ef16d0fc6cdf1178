"""Text without accents: the one definition used to compare, sort and search French text
(DESIGN.md §6: « sorting and search ignore accents and case »)."""

import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae"})


def sans_accents(texte: str) -> str:
    """``« Cœur d'Élodie »`` → ``« Coeur d'Elodie »``: accents dropped, ligatures spelled out,
    case kept."""
    decompose = unicodedata.normalize("NFKD", texte.translate(_LIGATURES))
    return "".join(c for c in decompose if not unicodedata.combining(c))


def cle_recherche(texte: str) -> str:
    """``« Cœur  d’Élodie »`` → ``« coeur d'elodie »``: without accents nor case, one kind of
    apostrophe, single spaces. Two texts a person reads as the same have the same key."""
    return " ".join(sans_accents(texte).replace("’", "'").casefold().split())
