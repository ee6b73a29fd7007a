"""What a colleague reads: the mails in Dutch and English, as the coordinator previews them."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from api.mail import messages

ROUND = {"institution": "Hogeschool Rijnland", "unit": "Practoraat Zorginnovatie",
         "round_name": "Meting voorjaar 2027", "closes_at": "2027-03-31T15:00:00+00:00"}


@pytest.mark.parametrize(("lang", "says"), [
    ("nl", ["anoniem", "ongeveer tien minuten", "sluit op 31 maart 2027 om 17:00"]),
    ("en", ["anonymous", "about ten minutes", "closes on 31 March 2027 at 17:00"]),
])
def test_the_invitation_says_it_is_anonymous_takes_ten_minutes_and_when_the_round_closes(lang, says):
    mail = messages.preview("invitation", lang, ROUND)
    assert "Hogeschool Rijnland" in mail.subject
    for text in says:
        assert text in mail.text
    assert messages.EXAMPLE_LINK in mail.text
    page = BeautifulSoup(mail.html, "html.parser")
    assert page.html["lang"] == lang
    assert [a["href"] for a in page.find_all("a")] == [messages.EXAMPLE_LINK]


def test_a_round_without_closing_date_leaves_the_date_out():
    mail = messages.preview("reminder", "nl", {**ROUND, "closes_at": None})
    assert "sluit op" not in mail.text and "Herinnering" in mail.subject


@pytest.mark.parametrize("template", messages.TEMPLATES)
@pytest.mark.parametrize("lang", messages.LANGUAGES)
def test_every_mail_exists_in_both_languages_with_a_subject_and_the_link(template, lang):
    mail = messages.preview(template, lang, ROUND)
    assert mail.subject and "\n" not in mail.subject
    assert messages.EXAMPLE_LINK in mail.text


def test_names_are_escaped_in_the_html_version():
    mail = messages.preview("invitation", "nl", {**ROUND, "unit": "Zorg & <b>Welzijn</b>"})
    assert "Zorg & <b>Welzijn</b>" in mail.text
    assert "<b>Welzijn</b>" not in mail.html and "Zorg &amp; &lt;b&gt;" in mail.html
