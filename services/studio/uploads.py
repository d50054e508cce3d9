"""Reading an uploaded .bpmn or .dmn safely: size first, then the decoded text's declarations, then the root.

Everything refused here is answered 422 on ``file`` (or 413 for size) before any parser sees the bytes, and
nothing is stored.
"""

from __future__ import annotations

import re

from services.errors import DomainError, FieldError, ValidationFailed
from services.studio.checks import Finding, check, refusals
from workflows.xmlsafety import MAX_MODEL_BYTES, UnsafeXml, safe_xml_bytes

ACCEPTED = (".bpmn", ".dmn")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,100}$")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class TooLarge(DomainError):
    status = 413


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", message)])


def refuse_size(length: int | None) -> None:
    if length is not None and length > MAX_MODEL_BYTES:
        raise TooLarge(f"The file is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MB: nothing was read or stored")


def filename_of(given: str | None, data: bytes) -> str:
    """The upload's file name (``.bpmn`` unless it says ``.dmn``); a name that is not plain is refused."""
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        return "model.dmn" if b"/DMN/" in data[:2000] else "model.bpmn"
    if not SAFE_NAME.match(name) or not name.lower().endswith(ACCEPTED):
        raise _refused(f"'{name[:100]}' is not a .bpmn or .dmn file name: upload a BPMN or DMN file")
    return name[: -len(name.rsplit(".", 1)[1])] + name.rsplit(".", 1)[1].lower()


def read_upload(data: bytes, filename: str | None) -> tuple[str, bytes]:
    """(file name, UTF-8 XML) of a safe upload, or 413/422 naming ``file``."""
    refuse_size(len(data))
    name = filename_of(filename, data)
    try:
        clean = safe_xml_bytes(data)
    except UnsafeXml as err:
        raise _refused(f"{name}: {err}") from None
    return name, clean


def process_key(name: str, clean: bytes) -> str | None:
    """The id of the first executable process (BPMN) or first decision (DMN) in a safe upload."""
    found = re.search(rb'<(?:\w+:)?process\b[^>]*\bisExecutable="true"[^>]*>', clean) if name.endswith(".bpmn") \
        else re.search(rb"<(?:\w+:)?decision\b[^>]*>", clean)
    if found is None and name.endswith(".bpmn"):
        found = re.search(rb"<(?:\w+:)?process\b[^>]*>", clean)
    ident = re.search(rb'\bid="([^"]{1,80})"', found.group(0)) if found else None
    return ident.group(1).decode() if ident else None


def judged(files: dict[str, bytes]) -> list[Finding]:
    """The checks of the files an upload makes; refused (422, element ids named) when they cannot be stored."""
    findings = check(files)
    refused = refusals(findings)
    if refused:
        raise ValidationFailed([FieldError(f.element_id or "file", f.message) for f in refused])
    return findings


__all__ = ["ACCEPTED", "TooLarge", "filename_of", "judged", "process_key", "read_upload", "refuse_size"]
