"""Python dependencies are locked (issue 13): every package make installs is pinned with hashes in
requirements.lock, the pins satisfy pyproject.toml's ranges, and the ranges cap the majors that would change the
security model (RestrictedPython's sandbox, WeasyPrint's fetching, lxml's parser)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
CAPPED = {"restrictedpython", "weasyprint", "lxml", "spiffworkflow", "flask", "sqlalchemy"}


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)"""
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s\\\\]+)", block)
        if match:
            pins[canonicalize_name(match.group(1))] = (match.group(2), block.count("--hash=sha256:"))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_every_declared_dependency_is_pinned_with_hashes_within_its_range() -> None:
    locked = _locked()
    assert len(locked) > 40
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is in pyproject.toml but not in requirements.lock (run make lock)"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), f"{name}=={version} is outside {requirement}"
        assert hashes >= 1, f"{name} has no hash"
    assert all(hashes >= 1 for _version, hashes in locked.values())


def test_security_sensitive_majors_are_capped() -> None:
    for requirement in _declared():
        if canonicalize_name(requirement.name) in CAPPED:
            assert any(spec.operator in ("<", "==") for spec in requirement.specifier), f"{requirement} has no cap"


def test_make_installs_from_the_lock_with_hashes_required() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--no-deps -e ." in makefile
