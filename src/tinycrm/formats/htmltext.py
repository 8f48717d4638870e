"""HTML mail as readable plain text, with the standard library's parser: paragraphs and line breaks kept, lists
as ``- item``, links as ``text (url)``, scripts, styles and the head left out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: elements that start and end a block of text
BLOCKS = frozenset(
    "address article aside blockquote center dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 "
    "h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul".split()
)
#: elements whose content is never text for people
HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.links: list[str | None] = []

    def _newline(self, count: int = 1) -> None:
        self.out.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in BLOCKS:
            self._newline(2 if tag in ("p", "blockquote", "h1", "h2", "h3", "table", "ul", "ol") else 1)
            if tag == "pre":
                self.pre += 1
        if tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt and not self.hidden:
                self.out.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and re.match(r"(https?|mailto):", href) and not self.hidden:
                shown = href[7:] if href.startswith("mailto:") else href
                if shown not in "".join(self.out[-3:]):
                    self.out.append(f" ({shown})")
        elif tag in BLOCKS and tag != "li":
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._newline(2 if tag in ("p", "blockquote", "h1", "h2", "h3", "table", "ul", "ol") else 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """``html`` as plain text a person reads in a terminal."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything else keeps what was read
        pass
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
