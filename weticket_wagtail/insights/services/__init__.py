"""Aggregates for organisations: :mod:`.suppression` (small groups hidden), :mod:`.aggregates`
(the figures), :mod:`.charts` (SVG bar charts of them), :mod:`.bookkeeping` (the ledger)."""
