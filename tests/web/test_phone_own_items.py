"""The own items' survey page on a 320 px phone, in a real headless chromium: no sideways
scroll, answer labels whole, and the answers reach the review page (plain forms, no script)."""

from __future__ import annotations

import pytest

from tests.builders import (
    make_institution,
    make_own_items,
    make_round,
    make_unit,
    open_now,
    personal_link,
)
from tests.web.browser import needs_chromium
from tests.web.test_phone import Checker, phone_page, submit_and_wait

pytestmark = [needs_chromium, pytest.mark.browser]


@pytest.mark.parametrize("width", [320])
def test_the_own_items_page_fits_a_phone_and_its_answers_reach_the_review(
        live_server, chromium, session, catalog, width):
    institution = make_institution(session, "Hogeschool Telefoon")
    unit = make_unit(session, institution, "Practoraat Onderweg")
    round_ = make_round(session, catalog, institution, state="not_open")
    make_own_items(session, catalog, round_, [
        ("likert", "Onze teams bespreken onderzoeksresultaten in het werkoverleg.", "", "processen"),
        ("likert", "Ik weet bij welk practoraat ik met een praktijkvraag terechtkan.", "", ""),
        ("open", "Wat zou kennisdeling tussen practoraten makkelijker maken?", "", "")])
    open_now(session, round_)
    token = personal_link(session, round_, unit)
    context = phone_page(chromium, width)
    page = context.new_page()
    seen = Checker(page, width)
    try:
        page.goto(f"{live_server}/s/{token}")
        page.locator('input[name="role"]').first.check()
        submit_and_wait(page, page.locator("form button[type=submit]").first)
        while "/k/" in page.url:
            page.evaluate("""() => document.querySelectorAll('fieldset.likert').forEach(
                f => { f.querySelector('input[value="4"]').checked = true; })""")
            submit_and_wait(page, page.locator('button[value="next"]'))
        assert page.url.endswith("/eigen"), page.url
        seen.look("survey own items")
        page.locator("fieldset.likert .option").nth(4).click()  # the first statement: 5
        page.locator("fieldset.likert").nth(1).locator(".option.dk").click()
        page.locator("textarea").fill("Een gezamenlijke agenda.")
        submit_and_wait(page, page.locator('button[value="next"]'))
        assert page.url.endswith("/afronden"), page.url
        seen.look("survey review with own items")
        review = page.locator(".own-review").inner_text()
        assert "Een gezamenlijke agenda." in review and "5" in review
        seen.check()
    finally:
        context.close()
