"""CPV codes (Common Procurement Vocabulary, regulation (EC) 213/2008).

A code is eight digits, usually followed by a check digit (« 45000000-7 »). python-stdnum has
no CPV module and the regulation does not publish how the check digit is computed. The usual
formula (weighted sum of the eight digits, weights 3, 7, 1 repeated, modulo 10) gives the key
of most codes of the official list (45000000-7, 71000000-8, 80000000-4…) but not of all of
them: the whole division 09 (09310000-5 « Électricité »), 35125300-2, 72400000-4 and others
differ. So the formula may only *point at* a probable typo; it never rejects nor « corrects »
a published code, and a missing key is not invented (the 2024 DECP format publishes eight
digits without key).
"""

import re

_FORMAT = re.compile(r"^(\d{8})(?:-(\d))?$")
_POIDS = (3, 7, 1, 3, 7, 1, 3, 7)


class CodeCPVInvalide(ValueError):
    pass


def cle_usuelle(code8: str) -> str:
    """The check digit the usual formula gives (right for most official codes, not all)."""
    return str(sum(int(c) * p for c, p in zip(code8, _POIDS, strict=True)) % 10)


def analyser(valeur: str) -> tuple[str, str | None]:
    """Return (8 digits, given check digit or None); raise CodeCPVInvalide on bad format."""
    match = _FORMAT.match((valeur or "").replace(" ", "").strip())
    if not match:
        raise CodeCPVInvalide("8 chiffres attendus, suivis éventuellement de « -clé ».")
    return match.group(1), match.group(2)


def valider(valeur: str) -> str:
    """The normalised code: ``12345678-9`` as given, or ``12345678`` when given without key."""
    code, cle = analyser(valeur)
    return f"{code}-{cle}" if cle is not None else code
