"""bench/RESULTS.md's named sections survive a rewrite by ``make bench`` (bench.common.keep_sections), whatever their
names, and a summary kept at the top stays at the top."""

from __future__ import annotations

from pathlib import Path

from bench.common import keep_sections, replace_section, sections

OLD = """# Results

Written by make bench, first run.

<!-- section:issue13_at_a_glance -->
## At a glance
| target | held? |
<!-- /section:issue13_at_a_glance -->

## Machine
old machine

<!-- section:simulate-postgresql -->
## The year on PostgreSQL
<!-- /section:simulate-postgresql -->

<!-- section:throughput -->
## Throughput
<!-- /section:throughput -->
"""

NEW = """# Results

Written by make bench, second run.

## Machine
new machine
"""


def test_a_rewrite_keeps_every_named_section_and_the_summary_stays_on_top(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(OLD)
    text = keep_sections(NEW, results)
    assert list(sections(text)) == ["issue13_at_a_glance", "simulate-postgresql", "throughput"]
    assert text.index("## At a glance") < text.index("## Machine") < text.index("## The year on PostgreSQL")
    assert "new machine" in text and "old machine" not in text


def test_a_section_whose_name_has_digits_or_a_hyphen_is_replaced_in_place_not_added_again(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(OLD)
    replace_section("simulate-postgresql", "## The year on PostgreSQL, again", results)
    replace_section("simulate-postgresql", "## The year on PostgreSQL, once more", results)
    text = results.read_text()
    assert text.count("section:simulate-postgresql -->") == 2  # one opening marker, one closing
    assert "once more" in text and "again" not in text
