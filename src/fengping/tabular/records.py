"""XML records, streamed through defusedxml."""

from __future__ import annotations

import io
from collections.abc import Iterator

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
