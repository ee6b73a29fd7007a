"""Submit what-ifs: the real app with one cost taken out, to price what is left of the gap to the
floor before anyone changes `api/` (never used by the app; `bench.submit.WHAT_IF` starts them).

- `norelease`: imports store their rows but never release (no round lock, no waiting count, no
  release): what the release rule costs per import. Not a fix — releases are the anonymity rule;
  it prices how much of the gap is that rule's bookkeeping.
"""

from __future__ import annotations

from api.results import releases

releases.release_due = lambda **_kwargs: None
releases.release_after_commit = lambda **_kwargs: 0

from api.main import create_app  # noqa: E402 (after the patch, so the import sees it)

norelease = create_app()

