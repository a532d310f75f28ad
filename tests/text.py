"""A page's words as a reader gets them: on screen, or on paper as the print stylesheet leaves them.

The print text hides what `static/css/site.css` hides in `@media print` (its simple selectors:
.class, #id, tag) and shows `.print-only`; the screen text hides `.print-only`. Each block
element ends a line, so a test can read the page line by line.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

BLOCKS = {
    "p", "li", "h1", "h2", "h3", "h4", "div", "section", "article", "dt", "dd", "summary", "tr", "br",
    "ul", "ol", "blockquote", "header", "footer", "details", "table", "caption", "th", "td",
}  # fmt: skip
VOID = {"br", "input", "meta", "link", "img", "hr", "source"}
SKIPPED = {"script", "style", "title", "svg", "template", "select", "head"}


def qr_image_address(page_html: str) -> str:
    """The address of the QR code image a page prints (its footer's `<img>`)."""
    return html.unescape(re.search(r'<div class="print-qr"><img src="([^"]+)"', page_html).group(1))


@lru_cache(maxsize=1)
def print_hidden() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(classes, ids, tags) the print stylesheet sets to display: none."""
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text(encoding="utf-8")
    block = css[css.index("@media print") :]
    classes, ids, tags = set(), set(), set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block):
        if not re.search(r"display:\s*none", body):
            continue
        for selector in selectors.split(","):
            selector = selector.strip()
            if re.fullmatch(r"\.[\w-]+", selector):
                classes.add(selector[1:])
            elif re.fullmatch(r"#[\w-]+", selector):
                ids.add(selector[1:])
            elif re.fullmatch(r"[a-z]+", selector):
                tags.add(selector)
    return frozenset(classes), frozenset(ids), frozenset(tags)


class _Text(HTMLParser):
    def __init__(self, medium: str) -> None:
        super().__init__(convert_charrefs=True)
        self.medium = medium
        self.stack: list[tuple[bool, bool]] = []  # per open element: (hidden, a closed <details> on paper)
        self.out: list[str] = []

    def hidden(self, tag: str, attrs: dict[str, str]) -> bool:
        classes = set((attrs.get("class") or "").split())
        if tag in SKIPPED or "hidden" in attrs:
            return True
        if self.medium == "screen":
            return "print-only" in classes
        if self.stack and self.stack[-1][1] and tag != "summary":
            return True  # a closed <details> prints its summary only
        if "print-only" in classes:
            return False
        hidden_classes, hidden_ids, hidden_tags = print_hidden()
        return bool(classes & hidden_classes) or attrs.get("id") in hidden_ids or tag in hidden_tags

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        inherited = bool(self.stack and self.stack[-1][0])
        if tag in BLOCKS:
            self.out.append("\n")
        if tag in VOID:
            return
        closed = self.medium == "print" and tag == "details" and "open" not in attrs
        self.stack.append((inherited or self.hidden(tag, attrs), closed))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag in BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not (self.stack and (self.stack[-1][0] or self.stack[-1][1])):
            self.out.append(data)


def text(html: str, medium: str = "screen") -> str:
    """The page's words, one block a line; `medium` "print" as the print stylesheet leaves them."""
    parser = _Text(medium)
    parser.feed(html)
    joined = "".join(parser.out)
    return "\n".join(line for line in (re.sub(r"\s+", " ", part).strip() for part in joined.split("\n")) if line)


def lines(html: str, medium: str = "screen") -> list[str]:
    return text(html, medium).split("\n")
