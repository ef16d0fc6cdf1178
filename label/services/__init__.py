"""Write-side rules of the Empl'itudes label (views call these; nothing else saves label data).

- ``workflow``: the dossier's statuses and the one table of allowed transitions;
- ``dossiers``: eligibility diagnosis, dossier, actions, plan, journal of changes;
- ``pieces``: evidence attachments (size, type checked by content, server-generated names);
- ``liens``: the company contact's personal link (hashed token, expiry, revocation);
- ``sessions``: jury sessions, members, agenda and time slots, convocations, attendance,
  opinions, decisions;
- ``labels``: award, dates changed with a reason, renewal reminders and renewal dossier;
- ``documents``: PDFs (procès-verbal, dossier, certificate) and ``.ics`` invitations;
- ``evenements``: network events, invitations, attendance.
"""
