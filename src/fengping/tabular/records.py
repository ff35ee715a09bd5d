"""XML records, streamed through defusedxml."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from .errors import ReadError


def xml_records(data: bytes, tag: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(ordinal from 1, fields) for each element named `tag` (any namespace), streamed with
    defusedxml's iterparse: a DTD, entity or external reference is refused (billion laughs,
    XXE), and each record is cleared once read, so memory stays flat. The fields are the
    element's attributes and the text of its direct children, by local name."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    number = 0
    try:
        for _event, element in iterparse(io.BytesIO(data), events=("end",), forbid_dtd=True):
            if local(str(element.tag)) != tag:
                continue
            number += 1
            fields = {local(str(k)): str(v).strip() for k, v in element.attrib.items()}
            for child in element:
                fields[local(str(child.tag))] = (child.text or "").strip()
            element.clear()
            yield number, fields
    except DefusedXmlException as exc:
        raise ReadError(
            "xml_forbidden",
            f"XML 含有不允许的 DTD 或实体引用 / XML with a DTD or entity refused: {exc}",
            detail=str(exc),
        ) from None
    except ParseError as exc:
        raise ReadError(
            "xml", f"XML 格式错误：{exc} / malformed XML: {exc}", detail=str(exc)
        ) from None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


class _EventTarget:
    """A parser target that keeps no tree: it queues (event, tag, attributes or text, line)
    for `xml_events`. Text is the element's own character data (children's excluded)."""

    __slots__ = ("events", "line", "texts")

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any, int]] = []
        self.texts: list[list[str]] = []
        self.line: Callable[[], int] = lambda: 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.texts and self.texts[-1]:
            parent = self.texts[-1]
            if not "".join(parent).strip():  # indentation between children
                parent.clear()
        self.texts.append([])
        self.events.append(("start", _local(tag), attrib, self.line()))

    def end(self, tag: str) -> None:
        parts = self.texts.pop() if self.texts else []
        self.events.append(("end", _local(tag), "".join(parts), self.line()))

    def data(self, text: str) -> None:
        if self.texts:
            self.texts[-1].append(text)

    def close(self) -> None:
        return None


def xml_events(
    stream: BinaryIO, chunk_size: int = 256 * 1024
) -> Iterator[tuple[str, str, Any, int]]:
    """Stream a large XML document as ("start", local tag, attributes, line) and
    ("end", local tag, text, line) events, through defusedxml's parser (a DTD, entity or
    external reference is refused: billion laughs, XXE). No tree is built, so memory stays
    flat whatever the size; the line lets a reader name the place of a bad value. A
    malformed or truncated document raises ReadError("xml") with the parser's line."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    target = _EventTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    expat = parser.parser
    target.line = lambda: int(expat.CurrentLineNumber)
    try:
        while True:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            parser.feed(chunk)
            if target.events:
                yield from target.events
                target.events.clear()
        parser.close()
        yield from target.events
        target.events.clear()
    except DefusedXmlException as exc:
        raise ReadError(
            "xml_forbidden",
            f"XML 含有不允许的 DTD 或实体引用 / XML with a DTD or entity refused: {exc}",
            detail=str(exc),
        ) from None
    except ParseError as exc:
        line = getattr(exc, "position", (0, 0))[0]
        raise ReadError(
            "xml", f"XML 格式错误：{exc} / malformed XML: {exc}", detail=str(exc), line=line
        ) from None
