"""Start-up refuses what would silently change meaning or leak: broken or edited questionnaires,
and a production server without a real secret."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.platform.errors import QuestionnaireChanged
from api.platform.questionnaires import QuestionnaireError
from api.platform.settings import ROOT, Settings
from tests.builders import make_institution, make_round, make_unit, stored_response


def _copy_questionnaires(tmp_path):
    target = tmp_path / "questionnaires"
    shutil.copytree(ROOT / "questionnaires", target)
    return target


def test_a_broken_questionnaire_file_stops_start_up_naming_the_file_and_field(settings, tmp_path):
    folder = _copy_questionnaires(tmp_path)
    path = folder / "galbraith-star" / "1.0.yaml"
    path.write_text(path.read_text().replace("reverse: true", "reverse: misschien", 1))
    with pytest.raises(QuestionnaireError) as error:
        create_app(settings.model_copy(update={"questionnaires_dir": folder}), warm_charts=False)
    message = str(error.value)
    assert str(path) in message and "reverse" in message and "boolean" in message


def test_editing_a_published_questionnaire_stops_start_up_and_asks_for_a_new_version(
    app, session, catalog, settings, tmp_path
):
    institution = make_institution(session)
    round_ = make_round(session, catalog, institution)
    stored_response(session, catalog.require("galbraith-star", "1.0"), round_,
                    make_unit(session, institution))
    folder = _copy_questionnaires(tmp_path)
    path = folder / "galbraith-star" / "1.0.yaml"
    text = path.read_text()
    assert "Helemaal mee eens" in text
    path.write_text(text.replace("Helemaal mee eens", "Volledig mee eens", 1))

    edited = create_app(settings.model_copy(update={"questionnaires_dir": folder}),
                        warm_charts=False)
    with pytest.raises(QuestionnaireChanged) as error, TestClient(edited):
        pass
    assert "galbraith-star/1.0.yaml was edited after it was published" in str(error.value)
    assert "new version" in str(error.value)
    edited.state.engine.dispose()


def test_reformatting_a_published_questionnaire_is_not_a_change(app, session, catalog, settings,
                                                                tmp_path):
    make_round(session, catalog, make_institution(session))
    folder = _copy_questionnaires(tmp_path)
    path = folder / "galbraith-star" / "1.0.yaml"
    path.write_text("# a comment added later\n" + path.read_text())
    reformatted = create_app(settings.model_copy(update={"questionnaires_dir": folder}),
                             warm_charts=False)
    with TestClient(reformatted) as client:
        assert client.get("/").status_code == 200
    reformatted.state.engine.dispose()


@pytest.mark.parametrize("secret", ["", "changeme"])
def test_production_refuses_a_missing_or_placeholder_secret(tmp_path, secret):
    with pytest.raises(ValueError, match="KENNISSTER_SECRET_KEY"):
        Settings(environment="production", secret_key=secret, data_dir=tmp_path)


def test_the_anonymity_threshold_can_never_be_set_below_three(tmp_path):
    with pytest.raises(ValueError):
        Settings(anonymity_k=2, data_dir=tmp_path)


def test_a_secret_generated_on_first_run_is_kept_for_the_next(tmp_path):
    first = Settings(data_dir=tmp_path).secret_key
    assert len(first) > 40
    assert Settings(data_dir=tmp_path).secret_key == first
