"""A clause's numbering, the label a reader cites it by, and its anchor: made one way, here.

一、 is a section and 一、(二) an item under it; the anchor of 二、 is s2 and of
its (一) s2-1. The parts without a number are 序言 and 落款 (or c<order>).
The admin, the models and notice packages all call these.
"""

from __future__ import annotations

CHINESE_NUMERALS = "一二三四五六七八九十"
SECTION_LABELS = {"preamble": "序言", "signature": "落款"}


def numeral(numbering: str) -> int | None:
    """一、 -> 1, (十二) -> 12, 3. -> 3; None when there is no number."""
    digits = "".join(ch for ch in numbering if ch.isdigit())
    if digits:
        return int(digits)
    chars = [ch for ch in numbering if ch in CHINESE_NUMERALS]
    if not chars:
        return None
    values = [CHINESE_NUMERALS.index(ch) + 1 for ch in chars]
    if 10 not in values:
        return values[0]
    tens, _, units = "".join(chars).partition("十")
    return (CHINESE_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (CHINESE_NUMERALS.index(units) + 1 if units else 0)


def suggest_anchor(level: int, numbering: str, section: str | None, order: int) -> str:
    """s2 for 二、, s2-1 for its (一); c<order> when the clause has no number. `section`: its section's anchor."""
    number = numeral(numbering)
    if number is None:
        return f"c{order}"
    if level <= 1 or not section:
        return f"s{number}"
    return f"{section}-{number}"


def suggest_label(level: int, numbering: str, heading: str, anchor: str, section_numbering: str = "") -> str:
    """一、 for a section, 一、(二) for an item under it, 序言 / 落款 for the parts without a number.

    `section_numbering`: the numbering of the section the item stands under (一、).
    """
    if level <= 1:
        return numbering or heading[:20] or SECTION_LABELS.get(anchor, "")
    return f"{section_numbering}{numbering}" or heading[:20]
