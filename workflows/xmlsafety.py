"""Parse uploaded XML with entities, DTDs and network access off, and a size limit."""

from __future__ import annotations

from lxml import etree

MAX_MODEL_BYTES = 2 * 1024 * 1024


class UnsafeXml(ValueError):
    pass


def parse_untrusted_xml(data: bytes) -> etree._Element:
    if len(data) > MAX_MODEL_BYTES:
        raise UnsafeXml(f"the file is larger than {MAX_MODEL_BYTES // 1024} KB")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeXml("DOCTYPE and ENTITY declarations are not allowed")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(f"not well-formed XML: {err}") from None
