"""Comparisons a consultant asks for: the units of a round against their institution, and
institutions side by side in their latest rounds.

Both read the round's dashboard (`api.results.dashboard`), so a unit or an institution shows
here exactly what the board sees, through the same gate; only the differences are new, and they
are computed from the published (rounded) means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from api.platform import questionnaire_status
from api.platform.errors import NotFound
from api.platform.models import Institution
from api.platform.questionnaires import Catalog, Questionnaire, version_key
from api.results import gate
from api.results.dashboard import Dashboard, build_dashboard, latest_opened
from api.results.groups import GroupView


@dataclass(frozen=True)
class UnitRow:
    group: GroupView
    difference: dict[str, float | None] | None  # None when the unit or the institution is hidden


@dataclass(frozen=True)
class UnitComparison:
    dashboard: Dashboard  # the round, its release, k and the institution's total
    rows: list[UnitRow]


def compare_units(
    *, session: Session, catalog: Catalog, institution: Institution, round_id: int,
    default_k: int, unit_ids: Sequence[int] = (),
) -> UnitComparison:
    """Every unit of the round (or the chosen ones) with each knob's difference from the
    institution; 404 names chosen units the round does not list."""
    dash = build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=round_id, default_k=default_k, lang="en", details=False)
    unknown = set(unit_ids) - {u.key for u in dash.units}
    if unknown:
        raise NotFound(f"Unit(s) {sorted(unknown)} have no responses or invitations in this round.")
    total = dash.total
    rows = []
    for view in dash.units:
        if unit_ids and view.key not in unit_ids:
            continue
        difference = None
        if view.shown and total.shown:
            difference = {key: gate.rounded(cell.mean - total.cells[key].mean)
                          if cell.mean is not None and total.cells[key].mean is not None
                          else None for key, cell in view.cells.items()}
        rows.append(UnitRow(group=view, difference=difference))
    return UnitComparison(dashboard=dash, rows=rows)


@dataclass(frozen=True)
class InstitutionsComparison:
    questionnaire: Questionnaire  # its latest version: the knobs of the table
    dashboards: list[Dashboard]  # one per institution that has opened a round of it


def compare_institutions(
    *, session: Session, catalog: Catalog, institutions: Sequence[Institution],
    questionnaire: str, default_k: int,
) -> InstitutionsComparison:
    """Each institution in its latest opened round of `questionnaire` (a slug); an institution
    without one is left out. 404 for a questionnaire the catalogue does not know."""
    versions = catalog.versions_of(questionnaire)
    if not versions:
        raise NotFound(f"No questionnaire {questionnaire!r}.")
    dashboards = []
    for institution in institutions:
        round_ = latest_opened([r for r, _ in gate.rounds_of(session=session,
                                                              institution=institution)
                                if r.questionnaire_slug == questionnaire])
        if round_ is not None:
            dashboards.append(build_dashboard(
                session=session, catalog=catalog, institution=institution, round_id=round_.id,
                default_k=default_k, lang="en", details=False))
    # The table's knobs: the newest version that a compared round uses, so that a draft on disk
    # (or a version nobody has run yet) never adds knobs without numbers.
    shown = [d.questionnaire for d in dashboards] or [
        q for q in questionnaire_status.published_versions(session=session, catalog=catalog)
        if q.slug == questionnaire] or versions
    return InstitutionsComparison(questionnaire=max(shown, key=version_key),
                                  dashboards=dashboards)
