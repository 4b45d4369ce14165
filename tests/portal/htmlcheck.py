"""A small structural checker for the portal's HTML: the accessibility basics a page must meet.

Not a validator: it checks what the portal promises (language, one h1, headings in order,
labelled form fields, table headers with scope, landmarks, no scripts, a titled chart).
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.ths: list[dict[str, str]] = []
        self.links: list[str] = []
        self.title = ""
        self._in_title = False
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "label" and "for" in a:
            self.labels_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append(a)
        if tag == "th":
            self.ths.append(a)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "title" and not self.title:
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def first(self, tag: str) -> dict[str, str] | None:
        return next((a for t, a in self.tags if t == tag), None)

    def problems(self) -> list[str]:
        out = []
        html = self.first("html")
        if not html or not html.get("lang"):
            out.append("<html> has no lang attribute")
        if not self.title.strip():
            out.append("no <title>")
        for landmark in ("header", "nav", "main", "footer"):
            if self.first(landmark) is None:
                out.append(f"no <{landmark}> landmark")
        if self.headings.count(1) != 1:
            out.append(f"{self.headings.count(1)} <h1> elements, not one")
        if self.headings and self.headings[0] != 1:
            out.append("the first heading is not <h1>")
        for prev, cur in itertools.pairwise(self.headings):
            if cur > prev + 1:
                out.append(f"heading level jumps from h{prev} to h{cur}")
        for f in self.fields:
            if f.get("id") not in self.labels_for and not f.get("aria-label"):
                out.append(f"form field {f.get('name')!r} has no label")
        for th in self.ths:
            if th.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
                out.append("a <th> without scope")
        dup = {i for i in self.ids if self.ids.count(i) > 1}
        if dup:
            out.append(f"duplicate ids: {sorted(dup)}")
        if any(t == "script" for t, _ in self.tags):
            out.append("the page has a <script>")
        if any(k.startswith("on") for _, a in self.tags for k in a):
            out.append("an inline event handler attribute")
        for t, a in self.tags:
            if t == "svg" and a.get("role") == "img":
                for ref in a.get("aria-labelledby", "").split():
                    if ref not in self.ids:
                        out.append(f"svg aria-labelledby refers to missing id {ref!r}")
        return out
