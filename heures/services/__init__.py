"""Write-side rules of the heures app, one module per area (participants, missions…)."""
