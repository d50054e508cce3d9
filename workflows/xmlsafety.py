"""Parse uploaded XML with entities, DTDs and network access off, and a size limit.

The DOCTYPE/ENTITY refusal reads the text after decoding it (BOM or declared encoding), so a UTF-16 or UTF-32
file cannot hide a declaration from a byte search.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

MAX_MODEL_BYTES = 5 * 1024 * 1024

BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# without a BOM, how "<?" looks in each encoding (XML 1.0 appendix F)
SIGNATURES = ((b"\0\0\0<", "utf-32-be"), (b"<\0\0\0", "utf-32-le"), (b"\0<\0?", "utf-16-be"),
              (b"<\0?\0", "utf-16-le"))
DECLARED = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
FORBIDDEN = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXml(ValueError):
    pass


def decode_xml(data: bytes) -> str:
    """The document's text, decoded by its BOM, its UTF-16/32 signature or its declared encoding (else UTF-8)."""
    encoding, body = "utf-8", data
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom):]
            break
    else:
        for signature, name in SIGNATURES:
            if data.startswith(signature):
                encoding = name
                break
        else:
            declared = DECLARED.match(data[:200].decode("ascii", "replace"))
            if declared:
                encoding = declared.group(1)
    try:
        return body.decode(encoding)
    except LookupError:
        raise UnsafeXml(f"unknown character encoding {encoding!r}") from None
    except UnicodeDecodeError:
        raise UnsafeXml(f"the file is not valid {encoding} text") from None


def safe_xml_bytes(data: bytes) -> bytes:
    """UTF-8 bytes of the document, its encoding declaration dropped; refused if large or declaring a DTD."""
    if len(data) > MAX_MODEL_BYTES:
        raise UnsafeXml(f"the file is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MB")
    text = decode_xml(data)
    if FORBIDDEN.search(text):
        raise UnsafeXml("DOCTYPE and ENTITY declarations are not allowed (no DTDs, external or internal entities)")
    text = text.lstrip("\ufeff")
    declared = DECLARED.match(text)
    if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        text = DECLARATION.sub('<?xml version="1.0" encoding="UTF-8"?>', text, count=1)
    return text.encode("utf-8")


def parse_untrusted_xml(data: bytes) -> etree._Element:
    clean = safe_xml_bytes(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=False)
    try:
        return etree.fromstring(clean, parser)
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(f"not well-formed XML: {err}") from None
