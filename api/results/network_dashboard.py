"""The board's network map of a round: a unit's (or the institution's) circle model and the units ×
units matrix of who consults whom, every number from `api.results.gate.network_maps`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from api.platform.errors import NotFound
from api.platform.models import Institution, Round, Unit
from api.results import gate, network
from api.results.network import MapView, Target
from api.results.releases import ReleaseState


@dataclass(frozen=True)
class MatrixRow:
    unit: Unit
    shown: bool
    n: int
    cells: dict[int, float | None]  # consulted unit id -> share consulting it at least monthly


@dataclass(frozen=True)
class NetworkDashboard:
    institution: Institution
    round: Round | None
    rounds: list[Round]  # the rounds that had the map, newest first
    units: list[Unit]
    unit: Unit | None  # the unit whose map is shown; None is the whole institution
    k: int
    release: ReleaseState | None
    view: MapView
    targets: list[Target]
    matrix: list[MatrixRow]

    @property
    def has_map(self) -> bool:
        return self.round is not None


def build(*, session: Session, institution: Institution, default_k: int,
          round_id: int | None = None, unit_id: int | None = None) -> NetworkDashboard:
    """The page's data; a round without the map or an unknown unit is 404."""
    k = gate.threshold(default_k=default_k, institution=institution)
    rounds = [r for r, _ in reversed(gate.rounds_of(session=session, institution=institution))
              if r.network_map]
    units = list(session.exec(select(Unit).where(Unit.institution_id == institution.id)
                              .order_by(Unit.name, Unit.id)))
    unit = None
    if unit_id is not None:
        unit = next((u for u in units if u.id == unit_id), None)
        if unit is None:
            raise NotFound(f"No unit {unit_id}.")
    if round_id is not None:
        round_ = next((r for r in rounds if r.id == round_id), None)
        if round_ is None:
            raise NotFound(f"Round {round_id} has no network map.")
    else:
        round_ = rounds[0] if rounds else None
    if round_ is None:
        return NetworkDashboard(institution=institution, round=None, rounds=[], units=units,
                                unit=unit, k=k, release=None, view=network.HIDDEN_MAP,
                                targets=[], matrix=[])
    maps = gate.network_maps(session=session, round_=round_, k=k)
    view = maps.get(unit.id if unit else None, network.HIDDEN_MAP)
    named = [(u.id, u.name) for u in units]
    # for the institution, "own team" is each respondent's own unit (no unit has id 0)
    targets = network.targets(own_unit_id=unit.id if unit else 0, units=named)
    matrix = []
    for row_unit in units:
        # no released respondents and too few read alike: neither says how many there are
        row_view = maps.get(row_unit.id, network.HIDDEN_MAP)
        cells: dict[int, float | None] = {}
        if row_view.shown:
            for column in units:
                key = network.OWN if column.id == row_unit.id else network.unit_target(column.id)
                target = row_view.targets.get(key)
                cells[column.id] = target.at_least_monthly if target else 0.0
        matrix.append(MatrixRow(unit=row_unit, shown=row_view.shown, n=row_view.n, cells=cells))
    return NetworkDashboard(
        institution=institution, round=round_, rounds=rounds, units=units, unit=unit, k=k,
        release=gate.release_state(session=session, round_=round_), view=view, targets=targets,
        matrix=matrix)


@dataclass(frozen=True)
class RoundMaps:
    """A round's published maps for the API: the same numbers as the page."""

    round: Round
    k: int
    release: ReleaseState
    maps: dict[int | None, MapView]


def round_maps(*, session: Session, round_: Round, institution: Institution,
               default_k: int) -> RoundMaps:
    """Every group's map of a round (institution first, then units); 404 without the map."""
    if not round_.network_map:
        raise NotFound(f"Round {round_.id} has no network map.", code="network_map_missing")
    k = gate.threshold(default_k=default_k, institution=institution)
    maps = gate.network_maps(session=session, round_=round_, k=k)
    ordered = {None: maps.get(None, network.HIDDEN_MAP)}
    ordered.update({unit_id: view for unit_id, view in sorted(
        ((u, v) for u, v in maps.items() if u is not None))})
    return RoundMaps(round=round_, k=k, release=gate.release_state(session=session, round_=round_),
                     maps=ordered)
