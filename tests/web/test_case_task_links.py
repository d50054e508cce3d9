"""A case page links an open task only for someone whose task page would open: no link that answers 404."""

from __future__ import annotations

from flask import Flask

from tests.factories import create_case, seeded, sign_in
from tests.pages import get_page


def test_open_tasks_link_only_where_the_task_page_opens(app: Flask) -> None:
    users = seeded()
    case_id = create_case(users["housing"], offender_name="Link Check").id  # housing referred it, so sees it
    for username, linked in (("coordinator", True), ("housing", False)):
        client = app.test_client()
        sign_in(client, username)
        [cell] = get_page(client, f"/cases/{case_id}").xpath('//*[@id="open-tasks"]//tbody/tr[1]/td[1]')
        assert " ".join(cell.text_content().split()) == "Check referral is complete"
        links = cell.xpath(".//a/@href")
        assert bool(links) is linked, username
        for href in links:
            assert client.get(href).status_code == 200
