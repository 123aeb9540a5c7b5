"""Anonymised insights and the bookkeeping export for organisations (issue #12 items 4 and 5)."""
