"""Every page text exists in Dutch and in English."""

from web.i18n import catalog, missing_keys


def test_every_text_exists_in_both_languages():
    assert missing_keys() == {"nl": set(), "en": set()}


def test_every_error_a_page_can_show_has_a_title_and_a_text_in_both_languages():
    from api.platform import errors

    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    codes |= {"draft_missing", "role_missing", "value_off_scale", "method_not_allowed"}
    for lang in ("nl", "en"):
        texts = catalog(lang)
        for code in codes:
            assert f"errors.{code}" in texts and f"errors.{code}_title" in texts, (lang, code)
