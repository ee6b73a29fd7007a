"""An attacker's notebook: what Kennisster's public surfaces publish, and what follows from it.

`observe` reads one moment of every surface that shows numbers for a round — the API's scores
(institution, unit, role), compare and trend in JSON and CSV, the dashboard page, its CSV, and
a respondent's thank-you page — checks that they all show the same numbers with at most two
decimals, and keeps them as a `Snapshot`. The attacks then look at a list of snapshots the way
someone who refreshes the pages while colleagues answer one by one would:

- `grown_by_fewer_than_k`: a group whose shown n grew by 1 … k − 1 between two moments gives away
  the newcomers' scores (n₂·mean₂ − n₁·mean₁);
- `total_minus_parts`: within one moment, a total minus its listed parts that leaves 1 … k − 1;
- `pinned_down`: in the spirit of sdcTable's attack(): every published (n, mean) is an equation
  "the scores of these respondents add up to n·mean" (the attacker is assumed to know everyone's
  unit and role, and when they answered). A group of fewer than k respondents is pinned down
  when its sum follows from those equations whatever the other scores are (the interval an
  attacker can derive for it has width zero). Checked exactly, for every union of
  indistinguishable respondents with fewer than k members.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from bs4 import BeautifulSoup

from api.results import tables

Group = tuple[str, object]  # ("institution", None) | ("unit", id) | ("role", key)
MEASURE_N = "n"
LONG_NUMBER = re.compile(r"\d[.,]\d{3,}")


@dataclass
class Snapshot:
    """One moment of everything published for a round."""

    step: int
    released: frozenset[int]  # the truth the attacker is assumed to know: who is counted
    numbers: dict[tuple[Group, str], tuple[int, float]] = field(default_factory=dict)
    group_n: dict[Group, int] = field(default_factory=dict)

    def shown(self, group: Group) -> bool:
        return group in self.group_n


@dataclass(frozen=True)
class Respondent:
    key: int
    unit_id: int
    role: str
    scores: dict[str, float]  # knob → score, only scored knobs


# --- reading the surfaces ---------------------------------------------------------------------


def _num(text: str) -> float:
    return float(text.strip().replace(",", "."))


def _assert_two_decimals(values, where: str) -> None:
    for value in values:
        if isinstance(value, float):
            assert round(value, 2) == value, f"{where}: {value} has more than two decimals"


def _walk_numbers(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _walk_numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from _walk_numbers(value)
    elif isinstance(data, float):
        yield data


def _from_api_group(snapshot: Snapshot, group: Group, body: dict) -> None:
    if body["suppressed"]:
        assert body.get("n") in (None, 0) and not body.get("knobs"), f"{group}: hidden but has numbers"
        return
    snapshot.group_n[group] = body["n"]
    for knob, stats in (body["knobs"] or {}).items():
        if stats is not None:
            snapshot.numbers[(group, knob)] = (stats["n"], stats["mean"])


def _group_key(kind: str, ref: dict) -> Group:
    return (kind, None) if kind == "institution" else (kind, ref["id"])


def observe(client, *, step: int, released: frozenset[int], round_id: int, slug: str,
            headers: dict, knobs: list[str], board=None, thanks_url: str | None = None,
            ) -> Snapshot:
    """Read every surface once; fail when two surfaces disagree or one shows too many digits."""
    snapshot = Snapshot(step=step, released=released)
    for group_by in ("institution", "unit", "role"):
        response = client.get(f"/api/v1/rounds/{round_id}/scores",
                              params={"group_by": group_by}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        _assert_two_decimals(_walk_numbers(body), f"scores?group_by={group_by}")
        for item in body["groups"]:
            ref = item["group"]
            key = ("role", ref["id"]) if group_by == "role" else _group_key(group_by, ref)
            _from_api_group(snapshot, key, item)
        csv_rows = list(csv.DictReader(io.StringIO(client.get(
            f"/api/v1/rounds/{round_id}/scores", params={"group_by": group_by, "format": "csv"},
            headers=headers).text)))
        for row in csv_rows:
            key = (("institution", None) if group_by == "institution"
                   else (group_by, int(row["group_id"]) if group_by == "unit" else row["group_id"]))
            _same_as_api(snapshot, key, row, knobs, "scores.csv")

    compare = client.get(f"/api/v1/rounds/{round_id}/compare", headers=headers).json()
    _assert_two_decimals(_walk_numbers(compare), "compare")
    for row in compare["units"]:
        _same_group(snapshot, ("unit", row["group"]["id"]), row, "compare")
    trend = client.get(f"/api/v1/institutions/{slug}/trend", headers=headers).json()
    _assert_two_decimals(_walk_numbers(trend), "trend")
    [point] = [p for p in trend["points"] if p["round"]["id"] == round_id]
    _same_group(snapshot, ("institution", None), point["scores"], "trend")

    if board is not None:
        _read_dashboard(snapshot, board, slug=slug, round_id=round_id, knobs=knobs)
    if thanks_url is not None:
        _read_thanks(snapshot, client.get(thanks_url).text, knobs)
    return snapshot


def _same_as_api(snapshot: Snapshot, key: Group, row: dict, knobs: list[str], where: str) -> None:
    if row["suppressed"] in ("true", "True"):
        assert not snapshot.shown(key), f"{where}: {key} hidden here, shown in the API"
        return
    assert int(row["n"]) == snapshot.group_n[key], where
    for knob in knobs:
        mean = row.get(f"{knob}_mean", "")
        if mean:
            assert LONG_NUMBER.search(mean) is None, f"{where}: {mean}"
            assert _num(mean) == snapshot.numbers[(key, knob)][1], f"{where}: {key} {knob}"
        else:
            assert (key, knob) not in snapshot.numbers, f"{where}: {key} {knob} missing"


def _same_group(snapshot: Snapshot, key: Group, body: dict, where: str) -> None:
    if body["suppressed"]:
        assert not snapshot.shown(key), f"{where}: {key}"
        return
    assert body["n"] == snapshot.group_n[key], f"{where}: {key}"
    for knob, stats in (body["knobs"] or {}).items():
        if stats is not None:
            assert (stats["n"], stats["mean"]) == snapshot.numbers[(key, knob)], f"{where}: {key}"


def _read_dashboard(snapshot: Snapshot, board, *, slug: str, round_id: int,
                    knobs: list[str]) -> None:
    response = board.get(f"/dashboard/{slug}", params={"round": round_id, "lang": "nl"})
    assert response.status_code == 200
    html = response.text
    for label in re.findall(r'aria-label="([^"]*)"', html):
        assert LONG_NUMBER.search(label) is None, f"dashboard aria-label carries digits: {label}"
    doc = BeautifulSoup(html, "html.parser")
    table = doc.select_one("#institution-table")
    if table is not None:
        for row in table.select("tr[data-knob]"):
            mean_cell = row.select_one("td.mean")
            if mean_cell is None:
                continue
            cells = row.find_all("td")
            found = (int(cells[3].get_text()), _num(mean_cell.get_text()))
            assert found == snapshot.numbers[(("institution", None), row["data-knob"])], "dash"
    for selector, kind in (("#units-table tr[data-unit]", "unit"),
                           ("#roles-table tr[data-role]", "role")):
        for row in doc.select(selector):
            key: Group = (kind, int(row["data-unit"]) if kind == "unit" else row["data-role"])
            if row.select_one("td.suppressed"):
                assert not snapshot.shown(key), f"dashboard hides {key}, the API shows it"
                continue
            assert int(row.find("td").get_text()) == snapshot.group_n[key], f"dashboard {key}"
            for cell in row.select("td[data-knob]"):
                text = cell.get_text().strip()
                if text in ("–", ""):
                    assert (key, cell["data-knob"]) not in snapshot.numbers
                else:
                    assert _num(text) == snapshot.numbers[(key, cell["data-knob"])][1]
    download = board.get(f"/dashboard/{slug}/rounds/{round_id}/units.csv")
    # the Dutch Excel file: semicolons, decimal commas, Dutch headers in the API's column order
    keys = [c.key for c in tables.group_columns(knobs) if not c.machine_only]
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    for line in lines[1:]:
        row = dict(zip(keys, line, strict=True))
        row["suppressed"] = "true" if row["suppressed"] == "te weinig reacties" else "false"
        if row["group_type"] == "instelling":
            _same_as_api(snapshot, ("institution", None), row, knobs, "units.csv")


def _read_thanks(snapshot: Snapshot, html: str, knobs: list[str]) -> None:
    """The link's thank-you page after the submit: the published group lines only (the own
    line, whose cells name their knob, is shown in the submit's answer alone), one row per knob
    in the questionnaire's order."""
    doc = BeautifulSoup(html, "html.parser")
    for label in re.findall(r'aria-label="([^"]*)"', html):
        assert LONG_NUMBER.search(label) is None, f"thank-you aria-label carries digits: {label}"
    assert not doc.select('td[data-series="own"]'), "the own star is shown again after the submit"
    rows = doc.select("table.scores tbody tr")
    assert len(rows) in (0, len(knobs)), f"{len(rows)} rows on the thank-you page"
    for row, knob in zip(rows, knobs if rows else [], strict=True):
        for series, key in (("unit", None), ("institution", ("institution", None))):
            cell = row.select_one(f'td[data-series="{series}"]')
            if cell is None or cell.get_text().strip() in ("–", ""):
                continue
            value = _num(cell.get_text())
            if key is None:  # the respondent's own unit: any shown unit with this mean
                assert any(abs(mean - value) < 0.051 for (g, k2), (_, mean) in
                           snapshot.numbers.items() if g[0] == "unit" and k2 == knob)
            else:
                assert abs(snapshot.numbers[(key, knob)][1] - value) < 0.051


# --- the attacks ------------------------------------------------------------------------------


def grown_by_fewer_than_k(snapshots: list[Snapshot], k: int) -> list[str]:
    findings = []
    for i, before in enumerate(snapshots):
        for after in snapshots[i + 1:]:
            for key, (n_after, _) in after.numbers.items():
                if key in before.numbers and 0 < n_after - before.numbers[key][0] < k:
                    findings.append(f"{key} grew by {n_after - before.numbers[key][0]} between "
                                    f"step {before.step} and {after.step}")
            for group, n_after in after.group_n.items():
                if group in before.group_n and 0 < n_after - before.group_n[group] < k:
                    findings.append(f"{group} n grew by {n_after - before.group_n[group]}")
    return findings


def total_minus_parts(snapshot: Snapshot, k: int, knobs: list[str]) -> list[str]:
    findings = []
    total: Group = ("institution", None)
    for kind in ("unit", "role"):
        for measure in (MEASURE_N, *knobs):
            if measure == MEASURE_N:
                whole = snapshot.group_n.get(total)
                parts = [n for g, n in snapshot.group_n.items() if g[0] == kind]
            else:
                whole = snapshot.numbers.get((total, measure), (None,))[0]
                parts = [n for (g, m), (n, _) in snapshot.numbers.items()
                         if g[0] == kind and m == measure]
            if whole is not None and 0 < whole - sum(parts) < k:
                findings.append(f"step {snapshot.step}: institution − {kind}s leaves "
                                f"{whole - sum(parts)} in {measure}")
    return findings


def _members(snapshot: Snapshot, group: Group, knob: str,
             people: dict[int, Respondent]) -> frozenset[int]:
    kind, ref = group
    return frozenset(
        key for key in snapshot.released if knob in people[key].scores and (
            kind == "institution" or (kind == "unit" and people[key].unit_id == ref)
            or (kind == "role" and people[key].role == ref)))


def pinned_down(snapshots: list[Snapshot], k: int, people: dict[int, Respondent],
                knobs: list[str], *, budget: int = 50_000) -> list[str]:
    """Groups of fewer than k respondents whose knob sum follows from all published sums."""
    findings = []
    for knob in knobs:
        equations: set[frozenset[int]] = set()
        for snapshot in snapshots:
            for (group, measure), (n, _) in snapshot.numbers.items():
                if measure != knob:
                    continue
                members = _members(snapshot, group, knob, people)
                assert len(members) == n, f"the published n of {group} {knob} is not its members"
                equations.add(members)
        if not equations:
            continue
        unknowns = sorted(set().union(*equations))
        # respondents in exactly the same equations can never be told apart: one atom each
        atoms: dict[frozenset, list[int]] = {}
        for key in unknowns:
            signature = frozenset(i for i, eq in enumerate(equations) if key in eq)
            atoms.setdefault(signature, []).append(key)
        atom_list = sorted(atoms.values(), key=len)
        rows = [[Fraction(int(atom[0] in eq)) for atom in atom_list] for eq in equations]
        rank = _rank(rows)
        small = [i for i, atom in enumerate(atom_list) if len(atom) < k]
        tried = 0
        for size in range(1, len(small) + 1):
            for combo in combinations(small, size):
                members = sum(len(atom_list[i]) for i in combo)
                if members >= k:
                    continue
                tried += 1
                assert tried <= budget, "the attack ran out of budget; make the case smaller"
                target = [Fraction(int(i in combo)) for i in range(len(atom_list))]
                if _rank(rows + [target]) == rank:
                    who = sorted(key for i in combo for key in atom_list[i])
                    findings.append(f"{knob}: the sum of respondents {who} follows from the "
                                    f"published numbers")
    return findings


def _rank(rows: list[list[Fraction]]) -> int:
    matrix = [list(r) for r in rows]
    rank = 0
    width = len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(rank + 1, len(matrix)):
            if matrix[r][col] != 0:
                factor = matrix[r][col] / matrix[rank][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def recovered_newcomer(snapshots: list[Snapshot], knob: str) -> float | None:
    """The classic differencing: n₂·mean₂ − n₁·mean₁ of the institution when it grew by one."""
    key = (("institution", None), knob)
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        if key in before.numbers and key in after.numbers:
            (n1, m1), (n2, m2) = before.numbers[key], after.numbers[key]
            if n2 - n1 == 1:
                return n2 * m2 - n1 * m1
    return None


def all_attacks(snapshots: list[Snapshot], k: int, people: dict[int, Respondent],
                knobs: list[str]) -> list[str]:
    findings = grown_by_fewer_than_k(snapshots, k)
    for snapshot in snapshots:
        findings += total_minus_parts(snapshot, k, knobs)
    return findings + pinned_down(snapshots, k, people, knobs)
