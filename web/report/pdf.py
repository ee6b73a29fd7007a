"""The board's PDF report of one round, typeset on the server by the Typst compiler.

`report_pdf(dash, lang)` turns the dashboard's `Dashboard` (every number already through the
anonymity gate) into PDF bytes. Python decides *what* the report says: every text translated,
every number formatted exactly as the dashboard page formats it, every chart rendered to SVG from
the dashboard's own chart specs. `report.typ` only decides *how it looks*.

Unit names, institution names and open answers are user input, so none of it is ever written
into Typst markup: the whole document travels as one JSON value in `sys.inputs`, and the template
places its strings as text (a string in Typst is never parsed as markup or code, so
`#read("/etc/passwd")` prints as written).

The document is a cover plus a list of sections, each a title and a list of blocks of a few
kinds (paragraph, table, chart, charts, list, …; see `report.typ`). A new section, such as the
action plan, is a function here that returns one more `section(...)`; the template needs no
change unless it needs a new kind of block.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from api.plans.progress import PlanView, Progress
from api.platform.own_items import statement as own_statement
from api.platform.questionnaires import Band
from api.results.dashboard import Cell, Dashboard, GroupView
from api.results.own_block import own_block
from web import charts, dashboard_charts
from web.i18n import translate
from web.pages import _fmt_score, _nl_number, local_time

TEMPLATE = Path(__file__).with_name("report.typ")
# the band colours of the dashboard's heatmap (web/static/kennisster.css)
BAND_FILLS = {"urgent": "#f6c8c4", "aandacht": "#fce3b0", "sterk": "#cde8d1"}
_SVG_SIZE = re.compile(r'<svg[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


def report_pdf(dash: Dashboard, lang: str, *, plan: PlanView | None = None) -> bytes:
    """The whole report of `dash` in `lang` ("nl" or "en") as PDF bytes, with the action plan
    read against this round when `plan` is given."""
    data = json.dumps(report_document(dash, lang, plan=plan), ensure_ascii=False)
    # dated by its release, not by the clock: the same release gives the same bytes (and ETag)
    moment = dash.release.published_at or dash.round.opens_at
    import typst  # the compiler (≈ 7 MB resident) is loaded by the first report, not at start-up

    return typst.compile(str(TEMPLATE), format="pdf", root=str(TEMPLATE.parent),
                         sys_inputs={"data": data}, ignore_system_fonts=True,
                         timestamp=int(moment.timestamp()))


def report_document(dash: Dashboard, lang: str, *, plan: PlanView | None = None) -> dict:
    """Everything the template shows, as plain JSON-ready data (no markup anywhere)."""
    r = _Report(dash, lang)
    sections = [r.star(), r.unit_stars(), r.heatmap(), r.roles(), r.trend(), r.sector(),
                r.quality(),
                r.advice(), r.open_answers(), r.own_items(),
                r.action_plan(plan) if plan is not None else None, r.method()]
    return {
        "lang": lang,
        "title": r.t("report.title"),
        "header": r.t("report.header", institution=dash.institution.name, round=dash.round.name,
                      number=dash.release.number),
        "footer": _split_footer(r.t("report.footer", page="\0", total="\0")),
        "contents": r.t("report.contents"),
        "cover": r.cover(),
        "sections": [s for s in sections if s is not None],
    }


def _split_footer(text: str) -> list[str]:
    """'pagina {page} van {total}' as its three pieces of text around the two numbers."""
    pieces = text.split("\0")
    return pieces if len(pieces) == 3 else ["", " / ", ""]


# --- building blocks: the kinds of block report.typ knows ------------------------------------


def section(title: str, blocks: list[dict], *, new_page: bool = False) -> dict:
    return {"title": title, "blocks": blocks, "new_page": new_page}


def paragraph(text: str, *, style: str = "normal") -> dict:
    return {"type": "paragraph", "text": text, "style": style}


def heading(text: str) -> dict:
    return {"type": "heading", "text": text}


def bullets(items: list[dict | str]) -> dict:
    """Items are text, or {"title", "text", "source"} for a suggestion."""
    return {"type": "list", "items": [i if isinstance(i, dict) else {"text": i} for i in items]}


def table(header: list[str], rows: list[list[dict | str]], *, columns: list[str],
          caption: str = "", align: list[str] | None = None) -> dict:
    """`columns` are Typst track sizes as a word ("auto", "1fr", "2fr"); a cell is text or
    {"text", "fill" (hex colour), "colspan", "rowspan", "strong", "muted"}."""
    return {"type": "table", "caption": caption, "header": header, "columns": columns,
            "align": align or ["left"] * len(columns),
            "rows": [[c if isinstance(c, dict) else {"text": c} for c in row] for row in rows]}


def chart(spec: dict, *, alt: str, caption: str = "", title: str = "") -> dict:
    return drawn_chart(charts.render_svg(spec), alt=alt, caption=caption, title=title)


def drawn_chart(svg: str, *, alt: str, caption: str = "", title: str = "") -> dict:
    width, height = _svg_size(svg)
    return {"type": "chart", "svg": svg, "width": width, "height": height, "alt": alt,
            "caption": caption, "title": title}


def _svg_size(svg: str) -> tuple[float, float]:
    found = _SVG_SIZE.search(svg)
    return (float(found.group(1)), float(found.group(2))) if found else (400.0, 300.0)


# --- the report's sections ------------------------------------------------------------------


class _Report:
    """One report's texts and numbers: translation and the dashboard's number format."""

    def __init__(self, dash: Dashboard, lang: str) -> None:
        self.dash, self.lang, self.q = dash, lang, dash.questionnaire
        self.knobs = [(k.key, k.name.get(lang)) for k in self.q.knobs]

    def t(self, key: str, **params: object) -> str:
        return translate(self.lang, key, self.q.vocabulary, **params)

    def num(self, value: float | None) -> str:
        """Two decimals, a decimal comma in Dutch: the dashboard's `score(2) | localnum`."""
        return _nl_number(_fmt_score(value, 2), self.lang)

    def knob_name(self, key: str) -> str:
        return self.q.knob_by_key[key].name.get(self.lang)

    def band_cell(self, cell: Cell) -> dict:
        if cell.summary is None:
            return {"text": "–"}
        return {"text": self.num(cell.mean), "fill": BAND_FILLS.get(cell.band.key)}

    def suppressed(self, span: int) -> dict:
        return {"text": self.t("dashboard.too_few"), "colspan": span, "muted": True}

    # cover --------------------------------------------------------------------------------

    def cover(self) -> dict:
        d, t = self.dash, self.t
        closes = (d.round.closes_at.strftime("%d-%m-%Y") if d.round.closes_at
                  else t("dashboard.still_open"))
        release = (t("report.release", number=d.release.number, counted=d.release.counted,
                     when=local_time(d.release.published_at, self.lang))
                   if d.release.number else t("report.release_none"))
        facts = [
            (t("report.facts.institution"), d.institution.name),
            (t("report.facts.round"), d.round.name),
            (t("report.facts.period"), f"{d.round.opens_at.strftime('%d-%m-%Y')} – {closes}"),
            (t("report.facts.questionnaire"), f"{self.q.title.get(self.lang)} {self.q.version}"),
            (t("report.facts.release"), release),
            (t("report.facts.respondents"), str(d.total.n) if d.total.shown
             else t("dashboard.too_few")),
        ]
        if (rate := self._rate()) is not None:
            facts.append((t("report.facts.rate"), rate))
        facts.append((t("report.facts.k"), t("report.k_value", k=d.k)))
        notes = []
        if d.release.pending:
            notes.append(t("report.withheld" if d.release.closed else "report.pending",
                           n=d.release.pending))
        notes.append(t("release.explained", k=d.k))
        summary = []
        if d.total.shown and d.total.alignment:
            a = d.total.alignment
            summary.append(t("dashboard.alignment_sentence", weakest=self.knob_name(a.weakest),
                             strongest=self.knob_name(a.strongest),
                             spread=_nl_number(_fmt_score(a.spread, 1), self.lang)))
        elif not d.total.shown:
            summary.append(t("dashboard.too_few_total", k=d.k))
        return {"eyebrow": t("dashboard.eyebrow"), "title": t("report.title"),
                "subtitle": t("report.subtitle"), "institution": d.institution.name,
                "round": d.round.name, "facts": [{"label": k, "value": v} for k, v in facts],
                "summary": summary, "notes": notes, "generated": t("report.generated")}

    def _rate(self) -> str | None:
        """The institution's response rate, only when every unit in the round was invited
        personally (with shared links the number asked is not known)."""
        d = self.dash
        if not d.total.shown or not d.units or any(not u.invited for u in d.units):
            return None
        invited = sum(u.invited for u in d.units)
        percent = round(min(1.0, d.total.n / invited) * 100)
        return self.t("report.rate_value", percent=percent, n=d.total.n, invited=invited)

    # the institution's star ----------------------------------------------------------------

    def star(self) -> dict:
        d, t = self.dash, self.t
        previous = d.previous is not None and d.previous.group.shown and d.total.shown
        blocks = [paragraph(t("report.star_intro")
                            + (" " + t("report.star_previous", name=d.previous.round.name)
                               if previous else ""))]
        blocks.append(chart(dashboard_charts.star_spec(d, self.lang, previous=previous),
                            alt=t("dashboard.star_alt"), caption=t("star.caption")))
        if d.total.shown:
            rows = []
            for key, name in self.knobs:
                cell = d.total.cells[key]
                s = cell.summary
                if s is None:
                    rows.append([{"text": name, "strong": True}, self.suppressed(5)])
                    continue
                rows.append([{"text": name, "strong": True}, self.num(s.mean),
                             f"{self.num(s.ci_low)} – {self.num(s.ci_high)}", self.num(s.sd),
                             str(s.n), {"text": cell.band.name.get(self.lang),
                                        "fill": BAND_FILLS.get(cell.band.key)}])
            blocks.append(table(
                [t("star.knob"), t("dashboard.mean"), t("dashboard.ci"), t("dashboard.sd"), "n",
                 t("dashboard.band")], rows, columns=["2fr", "auto", "2fr", "1fr", "auto", "2fr"],
                align=["left", "right", "center", "right", "right", "left"],
                caption=t("dashboard.institution_table")))
        else:
            blocks.append(paragraph(t("dashboard.too_few_total", k=d.k), style="warn"))
        return section(t("report.star_title"), blocks, new_page=True)

    # one star per unit ---------------------------------------------------------------------

    def unit_stars(self) -> dict:
        d, t = self.dash, self.t
        if not d.units:
            return section(t("report.units_title"), [paragraph(t("report.units_none"))])
        items = []
        for unit in d.units:
            # the dashboard's star of this unit, drawn once per release for page and report
            svg = dashboard_charts.unit_star_svg(d, self.lang, unit.key)
            if svg is None:  # below k: the name, never a number
                items.append({"title": unit.label, "note": t("dashboard.too_few")})
                continue
            drawn = drawn_chart(svg, alt=f"{t('dashboard.star_alt')} {unit.label}")
            items.append({**drawn, "title": unit.label, "note": t("report.unit_n", n=unit.n)})
        return section(t("report.units_title"), [
            paragraph(t("report.units_intro", k=d.k)),
            {"type": "charts", "items": items, "columns": 2}])

    # units × knobs -------------------------------------------------------------------------

    def heatmap(self) -> dict:
        d, t = self.dash, self.t
        header = [t("dashboard.unit"), "n", t("dashboard.rate"), *[n for _, n in self.knobs],
                  t("dashboard.weakest"), t("dashboard.spread")]
        rows = []
        for unit in d.units:
            if not unit.shown:
                rows.append([unit.label, self.suppressed(len(header) - 1)])
                continue
            rate = (f"{round(unit.rate * 100)}%" if unit.rate is not None else "–")
            rows.append([unit.label, str(unit.n), rate,
                         *[self.band_cell(unit.cells[key]) for key, _ in self.knobs],
                         self.knob_name(unit.alignment.weakest) if unit.alignment else "–",
                         self.num(unit.alignment.spread) if unit.alignment else "–"])
        columns = ["1fr", "auto", "auto", *["auto"] * len(self.knobs), "auto", "auto"]
        align = ["left", "right", "right", *["center"] * len(self.knobs), "left", "right"]
        blocks = [paragraph(t("report.heatmap_intro", k=d.k)),
                  table(header, rows, columns=columns, align=align)] if d.units else [
            paragraph(t("report.units_none"))]
        blocks.append(self._legend())
        return section(t("report.heatmap_title"), blocks)

    def _legend(self) -> dict:
        return {"type": "legend", "items": [
            {"text": b.name.get(self.lang), "fill": BAND_FILLS.get(b.key)} for b in self.q.bands]}

    # roles ---------------------------------------------------------------------------------

    def roles(self) -> dict:
        d, t = self.dash, self.t
        blocks = [paragraph(t("dashboard.roles_note"))]
        if not any(r.shown for r in d.roles):
            blocks.append(paragraph(t("report.roles_none")))
            return section(t("dashboard.chart_roles"), blocks)
        blocks.append(chart(dashboard_charts.roles_spec(d, self.lang),
                            alt=t("dashboard.roles_alt")))
        blocks.append(self._group_table(t("dashboard.role"), d.roles,
                                        caption=t("dashboard.roles_table")))
        return section(t("dashboard.chart_roles"), blocks)

    def _group_table(self, first: str, groups: list[GroupView], *, caption: str) -> dict:
        rows = []
        for g in groups:
            if g.shown:
                rows.append([g.label, str(g.n),
                             *[self.band_cell(g.cells[key]) for key, _ in self.knobs]])
            else:
                rows.append([g.label, self.suppressed(len(self.knobs) + 1)])
        return table([first, "n", *[n for _, n in self.knobs]], rows,
                     columns=["1fr", "auto", *["auto"] * len(self.knobs)],
                     align=["left", "right", *["center"] * len(self.knobs)], caption=caption)

    # trend ---------------------------------------------------------------------------------

    def trend(self) -> dict:
        d, t = self.dash, self.t
        blocks = []
        shown = [p for p in d.trend if p.group.shown]
        if len(shown) > 1:
            blocks.append(chart(dashboard_charts.trend_chart_spec(d, self.lang),
                                alt=t("dashboard.trend_alt"), caption=t("dashboard.trend_caption")))
        else:
            blocks.append(paragraph(t("dashboard.trend_none")))
        rows = []
        for key, name in self.knobs:
            for order, point in enumerate(d.trend):
                s = point.group.cells[key].summary if point.group.shown else None
                # the knob's name spans its rounds
                label = ([{"text": name, "strong": True, "rowspan": len(d.trend)}]
                         if order == 0 else []) + [point.round.name]
                if key in point.refused:
                    rows.append([*label, {"text": t("trend_versions.cell_not_comparable"),
                                          "colspan": 3, "muted": True}])
                elif s is None:
                    rows.append([*label, self.suppressed(3)])
                else:
                    rows.append([*label, self.num(s.mean),
                                 f"{self.num(s.ci_low)} – {self.num(s.ci_high)}", str(s.n)])
        blocks.append(table([t("star.knob"), t("report.trend_round"), t("dashboard.mean"),
                             t("dashboard.ci"), "n"], rows,
                            columns=["2fr", "3fr", "1fr", "2fr", "auto"],
                            align=["left", "left", "right", "center", "right"],
                            caption=t("report.trend_table")))
        if d.refusals:
            blocks.append(paragraph(t("trend_versions.refused_lead")))
            names = dict(self.knobs)
            blocks.append(bullets([t("trend_versions.refused_item", knob=names.get(knob, knob),
                                     version=version, reason=reason.get(self.lang))
                                   for version, knob, reason in d.refusals]))
        blocks.append(heading(t("report.changes_title")))
        if d.changes:
            items = []
            for key, name in self.knobs:
                if key not in d.changes:
                    continue
                c = d.changes[key]
                if c.clear:
                    items.append(t("dashboard.change_clear_up" if c.difference > 0
                                   else "dashboard.change_clear_down", knob=name,
                                   before=self.num(d.previous.group.cells[key].mean),
                                   after=self.num(d.total.cells[key].mean),
                                   low=self.num(c.low), high=self.num(c.high)))
                else:
                    items.append(t("dashboard.change_unclear", knob=name,
                                   difference=self.num(c.difference)))
            blocks.append(bullets(items))
        else:
            blocks.append(paragraph(t("report.changes_none")))
        return section(t("dashboard.chart_trend"), blocks)

    # reliability ---------------------------------------------------------------------------

    def sector(self) -> dict | None:
        """The sector benchmark as on the dashboard: the star beside the sector's band, a table
        with the positions, or why it is not available yet."""
        d, t, view = self.dash, self.t, self.dash.sector
        if view is None:
            return None
        if not view.available:
            return section(t("sector.report_title"), [paragraph(
                t("sector.unavailable_" + (view.reason or "too_few"), minimum=view.minimum))])
        blocks = [paragraph(t("sector.summary", institutions=view.institutions,
                              period=view.period, when=local_time(view.published_at, self.lang)))]
        spec = dashboard_charts.sector_spec(d, self.lang)
        if spec is not None:
            blocks.append(chart(spec, alt=t("sector.chart_alt"), caption=t("sector.chart_caption")))
        rows = [[{"text": self.knob_name(k.knob), "strong": True}, self.num(k.own), self.num(k.mean),
                 f"{self.num(k.q1)} – {self.num(k.q3)}",
                 t("sector.position_" + k.position) if k.position else "–"]
                for key, _ in self.knobs if (k := view.knob(key)) is not None]
        blocks.append(table([t("star.knob"), t("sector.own"), t("sector.mean"), t("sector.band"),
                             t("sector.position")], rows,
                            columns=["2fr", "auto", "auto", "2fr", "2fr"],
                            align=["left", "right", "right", "center", "left"],
                            caption=t("sector.table_caption")))
        blocks.append(paragraph(t("sector.rule_note"), style="note"))
        return section(t("sector.report_title"), blocks)

    def quality(self) -> dict:
        d, t = self.dash, self.t
        if not d.reliability:
            blocks = [paragraph(t("dashboard.too_few_total", k=d.k))]
        else:
            rows = []
            for key, name in self.knobs:
                rel = d.reliability.get(key)
                if not rel or rel.alpha is None:
                    verdict = t("dashboard.alpha_unknown")
                elif rel.alpha < 0.6:
                    verdict = t("dashboard.alpha_low")
                elif rel.alpha < 0.7:
                    verdict = t("dashboard.alpha_doubtful")
                else:
                    verdict = t("dashboard.alpha_ok")
                rows.append([{"text": name, "strong": True},
                             self.num(rel.alpha) if rel else "–",
                             str(rel.n_complete if rel else 0), verdict])
            blocks = [table([t("star.knob"), t("dashboard.alpha"), t("dashboard.alpha_n"),
                             t("dashboard.alpha_note")], rows,
                            columns=["auto", "auto", "auto", "1fr"],
                            align=["left", "right", "right", "left"],
                            caption=t("dashboard.reliability_table"))]
        blocks.append(paragraph(t("dashboard.alpha_explained"), style="note"))
        return section(t("report.quality_title"), blocks)

    # what now? -----------------------------------------------------------------------------

    def advice(self) -> dict:
        d, t = self.dash, self.t
        blocks = [paragraph(t("dashboard.star_message"))]
        for a in d.advice:
            blocks.append(heading(f"{self.knob_name(a.knob)} — {a.band.name.get(self.lang)} · "
                                  f"{self.num(a.score)}"))
            if a.band.advice:
                blocks.append(paragraph(a.band.advice.get(self.lang)))
            blocks.append(bullets([self._suggestion(s, full=True) for s in a.suggestions]))
        if not d.advice and d.total.shown:
            blocks.append(paragraph(t("dashboard.advice_none")))
        if d.unit_advice:
            blocks.append(heading(t("dashboard.unit_advice_title")))
            for unit in d.units:
                if unit.key not in d.unit_advice:
                    continue
                advice = d.unit_advice[unit.key]
                if not advice:
                    blocks.append(paragraph(t("report.advice_unit_strong", unit=unit.label),
                                            style="strong"))
                    continue
                blocks.append(paragraph(t("report.advice_unit_heading", unit=unit.label,
                                          knob=self.knob_name(advice[0].knob)), style="strong"))
                blocks.append(bullets([
                    {"title": f"{self.knob_name(a.knob)} ({a.band.name.get(self.lang)} · "
                              f"{self.num(a.score)})",
                     "text": "; ".join(f"{s.title.get(self.lang)} ({s.source})"
                                       for s in a.suggestions)}
                    for a in advice]))
        return section(t("dashboard.advice_title"), blocks)

    def _suggestion(self, s, *, full: bool) -> dict:
        return {"title": s.title.get(self.lang), "text": s.text.get(self.lang) if full else "",
                "source": self.t("report.source", source=s.source)}

    # open answers --------------------------------------------------------------------------

    def open_answers(self) -> dict:
        d, t = self.dash, self.t
        if not d.open_answers:
            return section(t("dashboard.open_title"), [paragraph(t("dashboard.open_none", k=d.k))])
        blocks = [paragraph(t("report.open_intro"), style="note")]
        for key, name in self.knobs:
            answers = d.open_answers.get(key) or []
            if not answers:
                continue
            blocks.append(heading(f"{name} ({len(answers)})"))
            counted = Counter(answers)  # first-seen order, as the dashboard lists them
            blocks.append(bullets([
                {"text": text, "count": t("report.open_times", n=n) if n > 1 else ""}
                for text, n in counted.items()]))
        return section(t("dashboard.open_title"), blocks)

    # the institution's own items ---------------------------------------------------------

    def own_items(self) -> dict | None:
        """The own statements and open questions, a section apart from the knob scores; none
        when the round has no own items."""
        t, block = self.t, own_block(self.dash)
        if not block.present:
            return None
        blocks = [paragraph(t("own_items.report_note", k=block.k), style="note")]
        if not block.shown:
            blocks.append(paragraph(t("own_items.report_waiting", k=block.k)))
            return section(t("own_items.report_title"), blocks)
        values = list(self.q.scale.labels)
        header = [t("own_items.col_group"), "n", t("own_items.col_mean"), t("own_items.col_sd"),
                  t("own_items.col_distribution"), t("own_items.col_dont_know")]
        for part in block.sections:
            blocks.append(heading(self.knob_name(part.knob) if part.knob
                                  else t("own_items.general")))
            for found in part.statements:
                rows = []
                for group in found.groups:
                    name = t("own_items.institution") if group.key is None else group.label
                    stat = group.stat
                    if stat is None:
                        rows.append([name, {"text": t("own_items.unit_hidden", k=block.k),
                                            "colspan": 5, "muted": True}])
                        continue
                    rows.append([name, str(stat.summary.n), self.num(stat.summary.mean),
                                 self.num(stat.summary.sd),
                                 " · ".join(str(stat.counts.get(v, 0)) for v in values),
                                 str(stat.dont_know)])
                blocks.append(table(header, rows, caption=own_statement(found.item, self.lang)[0],
                                    columns=["2fr", "auto", "auto", "auto", "auto", "auto"],
                                    align=["left"] + ["right"] * 5))
        for question in block.questions:
            blocks.append(heading(f"{own_statement(question.item, self.lang)[0]} "
                                  f"({len(question.answers)})"))
            if question.answers:
                blocks.append(bullets(list(dict.fromkeys(question.answers))))
            else:
                blocks.append(paragraph(t("own_items.open_none")))
        return section(t("own_items.report_title"), blocks)

    # the action plan ---------------------------------------------------------------------

    def action_plan(self, plan: PlanView) -> dict:
        """Each action with its knob's change for its group since the round it was made after,
        in the dashboard's words (actions.* messages)."""
        t = self.t
        blocks = [paragraph(t("actions.lead"))]
        if not plan.items:
            blocks.append(paragraph(t("actions.none")))
        for item in plan.items:
            a = item.action
            knob = self.q.knob_by_key[a.knob].name.get(self.lang) if a.knob in self.q.knob_by_key \
                else a.knob
            group = plan.group(a) or t("actions.whole_institution",
                                       institution=self.dash.institution.name)
            meta = [knob, group, t("actions.made_after", baseline=item.baseline.name)]
            if a.owner:
                meta.append(t("actions.owner_is", owner=a.owner))
            if a.due_on:
                meta.append(t("actions.due_is", due=a.due_on.strftime("%d-%m-%Y")))
            blocks.append(paragraph(f"{a.title} ({t('actions.status_' + str(a.status))})",
                                    style="strong"))
            blocks.append(paragraph(" · ".join(meta), style="note"))
            blocks.append(paragraph(self._progress_line(item, knob, group)))
            if a.notes:
                blocks.append(paragraph(a.notes, style="note"))
        return section(t("actions.title"), blocks)

    def _progress_line(self, item: Progress, knob: str, group: str) -> str:
        t, a, c = self.t, item.action, item.change
        status = t("actions.status_" + str(a.status))
        if item.standing == "measured" and c is not None:
            difference = _nl_number(f"{c.difference:+.2f}", self.lang)
            line = (t("actions.line_measured", knob=knob, difference=difference,
                      low=self.num(c.low), high=self.num(c.high), title=a.title, status=status)
                    if c.low is not None else
                    t("actions.line_no_interval", knob=knob, difference=difference,
                      title=a.title, status=status))
            return line + (f" — {t('actions.within_noise')}" if item.within_noise else "")
        if item.standing == "hidden":
            return t("actions.line_hidden", knob=knob, group=group, k=self.dash.k,
                     baseline=item.baseline.name)
        if item.standing == "not_comparable" and item.reason is not None:
            return t("trend_versions.line_not_comparable", baseline=item.baseline.name,
                     knob=knob, reason=item.reason.get(self.lang))
        if item.standing == "not_comparable":
            return t("actions.line_not_comparable", baseline=item.baseline.name)
        return t("actions.line_not_yet", baseline=item.baseline.name)

    # how the numbers are made --------------------------------------------------------------

    def method(self) -> dict:
        t, q = self.t, self.q
        scale = q.scale
        blocks = [
            heading(t("report.method_scale_title")),
            paragraph(t("report.method_scale", min=scale.min, max=scale.max,
                        min_label=scale.labels[scale.min].get(self.lang),
                        max_label=scale.labels[scale.max].get(self.lang),
                        dont_know=scale.dont_know.get(self.lang))),
            paragraph(t("report.method_groups")),
            paragraph(t("report.method_change")),
            heading(t("report.method_bands_title")),
            bullets([self._band_range(b, nxt) for b, nxt in zip(
                q.bands, [*q.bands[1:], None], strict=True)]),
            paragraph(t("report.method_bands")),
            paragraph(t("dashboard.alpha_explained")),
            heading(t("report.method_anonymity_title")),
            paragraph(t("report.method_anonymity", k=self.dash.k)),
            paragraph(t("release.explained", k=self.dash.k)),
        ]
        return section(t("report.method_title"), blocks, new_page=True)

    def _band_range(self, band: Band, following: Band | None) -> str:
        low = _nl_number(f"{band.min:.1f}", self.lang)
        if following is None:
            return self.t("report.method_band_from", name=band.name.get(self.lang), min=low)
        return self.t("report.method_band_range", name=band.name.get(self.lang), min=low,
                      max=_nl_number(f"{following.min:.1f}", self.lang))
