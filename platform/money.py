"""Money as text: integer fen shown as yuan. The one formatter domains use in messages and documents
(the admin UI's ``fen`` filter adds the currency sign for pages)."""

from __future__ import annotations


def yuan(fen: int, *, grouping: bool = False, symbol: bool = False) -> str:
    """``29800`` -> ``298.00``; ``grouping``: ``1,298.00``; ``symbol``: ``¥298.00``; negative: ``-298.00``."""
    whole, cents = divmod(abs(fen), 100)
    digits = f"{whole:,}" if grouping else str(whole)
    return f"{'-' if fen < 0 else ''}{'¥' if symbol else ''}{digits}.{cents:02d}"
