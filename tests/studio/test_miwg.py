"""Every BPMN MIWG reference model through POST /api/v1/models/import: never a server error; each accepted (201,
with its checks) or refused (422) with messages that name an element or the file.

The folder is read where it lies (MAPPA_MIWG_DIR, else ../shared/conformance/miwg beside the repository, else
/work/shared/conformance/miwg); nothing is copied into the repository. A missing folder fails the test: CI runs
where the folder is.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.api.conftest import Api
from tests.studio.conftest import import_xml

REPO = Path(__file__).resolve().parents[2]
# where the shared conformance folder lies: beside this checkout, or in the workplace's shared folder (a clean clone
# for CI may sit elsewhere)
PLACES = [REPO.parent / "shared" / "conformance" / "miwg", Path("/work/shared/conformance/miwg")]
MIWG_DIR = Path(os.environ.get("MAPPA_MIWG_DIR") or next((p for p in PLACES if p.is_dir()), PLACES[0]))


def test_every_miwg_reference_model_is_accepted_or_answered_with_element_named_messages(api: Api) -> None:
    assert MIWG_DIR.is_dir(), f"the BPMN MIWG reference models are not at {MIWG_DIR}: set MAPPA_MIWG_DIR"
    models = sorted(p for p in MIWG_DIR.iterdir() if p.suffix in (".bpmn", ".dmn"))
    assert models, f"no .bpmn or .dmn file in {MIWG_DIR}"
    answers: dict[str, int] = {}
    problems = []
    for path in models:
        text = path.read_bytes()
        response = import_xml(api, text, filename=path.name)
        answers[path.name] = response.status_code
        body = response.get_json()
        if response.status_code == 201:
            unnamed = [c for c in body["checks"] if not (c["element_id"] or c["file"])]
            if unnamed:
                problems.append(f"{path.name}: checks name no element: {unnamed}")
        elif response.status_code == 422:
            for error in body["error"]["errors"]:  # an element of this file by its id, else the file itself
                named = error["field"] == "file" or f'id="{error["field"]}"'.encode() in text
                if not named or not error["message"]:
                    problems.append(f"{path.name}: an error names no element of the file: {error}")
        else:
            problems.append(f"{path.name}: answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    assert problems == [], "\n".join(problems)
    assert set(answers.values()) <= {201, 422}
