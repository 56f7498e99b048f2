"""Small numbers, suppressed: what anyone outside the organisation that owns the data sees of a report.

The rules (documented in the README, "Monthly impact reports"):

1. **Primary.** A count from 1 to 4 (a headline count, or a cell of any breakdown) is shown as "<5". An
   average, median or total resting on such a count is withheld with it.
2. **Secondary, within a breakdown.** A breakdown's cells add up to a total that is shown. With one cell
   hidden, the total minus the others would give it back; so more cells are hidden ("[c]") until the hidden
   cells' sum leaves every "<5" cell anything from 1 to 4, even to someone who knows these rules (that a
   "[c]" cell is 5 or more). The smallest single cell that is enough is taken, else the smallest cells
   one by one; if even all of them are not enough, every non-zero cell is hidden alike ("[c]").
3. **Differences between reports.** A breakdown cell is also treated as "<5" when the same cell of a related
   report differs from it by 1 to 4: the whole scheme (against a local authority or an organisation: the rest
   of the scheme) and the reader's own organisation's part (which it knows exactly: the rest of the cell).
   Readers other than the owner get whole months only, so two overlapping periods cannot be subtracted either.

Zero is shown as 0: an empty category tells nothing about a person.
"""

from __future__ import annotations

SMALL = range(1, 5)
LESS_THAN_5 = "<5"
WITHHELD = "[c]"


def _is_small(value) -> bool:
    return isinstance(value, int) and value in SMALL


def secondary_cells(values: dict[str, int], primary: set[str]) -> tuple[set[str], bool]:
    """Which further cells to hide so that no primary cell can be worked out from the total.

    Returns (the secondary cells, whether all hidden cells must look alike). Someone who knows the rules
    knows each "<5" cell is 1 to 4 and each "[c]" cell at least 5; with S the hidden cells' sum (the total
    minus what is shown), k primaries and m secondaries, a primary may be anything up to S - (k - 1) - 5m, so
    it is safe once there is at least one secondary and S - (k - 1) - 5m >= 4.
    """
    if not primary:
        return set(), False
    hidden_sum = sum(values[code] for code in primary)
    k = len(primary)
    candidates = sorted((v, code) for code, v in values.items() if code not in primary and v > 0)

    def safe(extra_sum: int, m: int) -> bool:
        return m >= 1 and hidden_sum + extra_sum - (k - 1) - 5 * m >= 4

    # One more cell is best: the smallest that is enough on its own.
    for value, code in candidates:
        if safe(value, 1):
            return {code}, False
    # Else the smallest cells, one by one, until they are enough.
    chosen: set[str] = set()
    extra = 0
    for value, code in candidates:
        chosen.add(code)
        extra += value
        if safe(extra, len(chosen)):
            return chosen, False
    # Not enough to tell apart: hide every non-zero cell, all alike.
    return {code for _, code in candidates}, True


def suppress_table(values: dict[str, int], related: list[dict[str, int]] | None = None) -> dict[str, str]:
    """{code: what to show} for one breakdown: the number, "<5" or "[c]"."""
    related = related or []
    # Zero stays 0 (an empty category says nothing of a person); a non-zero cell is "<5" when it, or what it
    # differs by from a related report's cell, is 1 to 4.
    primary = {
        code
        for code, value in values.items()
        if value > 0 and (_is_small(value) or any(_is_small(abs(value - other.get(code, 0))) for other in related))
    }
    secondary, alike = secondary_cells(values, primary)
    shown = {}
    for code, value in values.items():
        if code in primary:
            shown[code] = WITHHELD if alike else LESS_THAN_5
        elif code in secondary:
            shown[code] = WITHHELD
        else:
            shown[code] = str(value)
    return shown


def suppress_count(value) -> str:
    return LESS_THAN_5 if _is_small(value) else plain(value)


def plain(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
