"""Browser helper: choose a row in a search-as-you-type field (static/js/autocomplete.js)."""


def choisir(page, etiquette: str, saisie: str, libelle: str) -> None:
    """Type ``saisie`` in the field labelled ``etiquette`` and pick the suggestion that starts
    with ``libelle`` (its detail — SIRET, town… — follows on the same line)."""
    champ = page.get_by_role("combobox", name=etiquette)
    champ.fill(saisie)
    liste = page.locator(f"#{champ.get_attribute('aria-controls')}")
    liste.get_by_role("option").filter(has_text=libelle).first.click()
    assert champ.input_value() == libelle
