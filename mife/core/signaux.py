"""Signals sent by the kernel's building blocks, for whoever needs to know (the journal).

``liste_exportee``: a list page (``ListeView``) is being exported to Excel. Arguments:
``request`` and ``titre`` (the list's title); the filters are in ``request.GET``.
The kernel does not know who listens: ``journal`` records every export.
"""

from django.dispatch import Signal

liste_exportee = Signal()
