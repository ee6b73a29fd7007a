"""The order of the survey's pages: the knob pages, then optional pages of their own, then the
review. An optional page is one line in `EXTRA` (its route's name and when it is asked), its
route and template live in a module of their own (for example `web.survey.own_items`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.survey.answering import SurveyContext


@dataclass(frozen=True)
class Extra:
    route: str  # the name of the page's GET route, which takes `token` only
    applies: Callable[[SurveyContext], bool]


EXTRA: tuple[Extra, ...] = (
    Extra("survey_own", lambda ctx: bool(ctx.own_items)),  # "Vragen van je eigen instelling"
    Extra("survey_network", lambda ctx: bool(ctx.round.network_map)),  # the network map
)

Page = tuple[str, dict[str, str]]  # a route's name and its parameters besides the token


def pages(ctx: SurveyContext) -> list[Page]:
    """Every page before the review, in order."""
    return ([("survey_knob", {"knob": knob.key}) for knob in ctx.questionnaire.knobs]
            + [(extra.route, {}) for extra in EXTRA if extra.applies(ctx)])


def total(ctx: SurveyContext) -> int:
    """The number of steps the progress bar counts: every page and the review."""
    return len(pages(ctx)) + 1


def number(ctx: SurveyContext, page: Page) -> int:
    """The page's step, from 1."""
    return pages(ctx).index(page) + 1


def after(ctx: SurveyContext, page: Page) -> Page:
    """The page that follows; the review is ("survey_finish", {})."""
    found = pages(ctx)
    index = found.index(page)
    return found[index + 1] if index + 1 < len(found) else ("survey_finish", {})


def before(ctx: SurveyContext, page: Page) -> Page:
    """The page before; before the first knob page is the intro ("survey_intro", {})."""
    found = pages(ctx)
    index = found.index(page)
    return found[index - 1] if index > 0 else ("survey_intro", {})


def last(ctx: SurveyContext) -> Page:
    """The page before the review."""
    return pages(ctx)[-1]
