"""A person's spreadsheet: the shared table layout with headers and keys in their language."""

from __future__ import annotations

from dataclasses import dataclass

from api.platform.questionnaires import Questionnaire
from api.results import exports
from api.results.tables import Column, Table
from web.i18n import translate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Labels:
    """`exports.Labels` from the message files and the questionnaire's own names."""

    lang: str
    questionnaire: Questionnaire | None = None

    def t(self, key: str, **params: object) -> str:
        """A text in the questionnaire's own words (the scan's "succesfactor")."""
        vocabulary = self.questionnaire.vocabulary if self.questionnaire else None
        return translate(self.lang, key, vocabulary, **params)

    def _knob(self, key: str) -> str:
        knob = self.questionnaire.knob_by_key.get(key) if self.questionnaire else None
        return knob.name.get(self.lang) if knob else key

    def header(self, column: Column) -> str:
        if column.header is not None:
            return self.t(column.header)
        if column.knob is not None:
            return self.t(f"table.knob.{column.part}", knob=self._knob(column.knob))
        return self.t(f"table.header.{column.part}")

    def value(self, column: Column, raw: object) -> object:
        if column.kind == "flag":
            return self.t("table.suppressed" if raw else "table.shown")
        if column.kind == "knob":
            return self._knob(str(raw))
        if column.kind == "choice":  # `part` names the texts: actions.status → actions.status_klaar
            return self.t(f"{column.part}_{raw}")
        if column.kind == "band":
            bands = self.questionnaire.bands if self.questionnaire else []
            band = next((b for b in bands if b.key == raw), None)
            return band.name.get(self.lang) if band else raw
        if column.kind == "group_type":
            return self.t(f"table.type.{raw}")
        return raw


def csv_for(table: Table, lang: str, questionnaire: Questionnaire | None = None) -> str:
    """Semicolons and decimal commas for Dutch Excel; commas and points in English."""
    dialect = exports.DUTCH_EXCEL if lang == "nl" else exports.ENGLISH_EXCEL
    return exports.to_csv(table, dialect=dialect, labels=Labels(lang, questionnaire))


def xlsx_for(table: Table, lang: str, questionnaire: Questionnaire | None = None, *, title: str,
             sheet: str = "table.sheet") -> bytes:
    return exports.to_xlsx(table, labels=Labels(lang, questionnaire), title=title,
                           sheet_name=translate(lang, sheet, questionnaire.vocabulary
                                                if questionnaire else None))
