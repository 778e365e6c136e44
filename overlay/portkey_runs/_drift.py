"""Tolerant reading: an answer that departs from the spec is delivered, and the departure reported.

A tolerant read (``strict_responses=False``, the default) is one generated ``from_dict`` with
``portkey_runs_api.types.TOLERANCE`` set: each property that breaks the contract reads as
``None`` and is reported here, to :class:`DriftLog` — unless the client needs it to do its job
(:data:`NEEDED`), which raises ``ResponseValidationError`` naming it. What the client needs is
typed at once; the nested properties it does not need are typed when first read (see
``portkey_runs_api.types.Lazy``), and their departures reported then.

Each departure is announced once per process and (model, property): a ``SpecDriftWarning``
and a log line on the ``portkey_runs`` logger. Every one is also kept, as a :class:`SpecDrift`,
in the log of the answer it came in (``page.drift``, ``stream.drift``).
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import sys
import threading
import warnings
from collections.abc import Mapping
from types import FrameType
from typing import Any, Protocol, Self, TypeVar

import httpx
from attrs import frozen

import portkey_runs_api
from portkey_runs_api.errors import NeededError, ParseError
from portkey_runs_api.spec_facts import NEEDED
from portkey_runs_api.types import EAGER, TOLERANCE

from ._headers import redact_text, secret_values
from ._response import ResponseMeta
from .errors import ResponseValidationError, SpecDriftWarning, request_of

__all__ = ["NEEDED", "DriftLog", "M", "SpecDrift", "drift_log", "needed", "read_tolerantly"]

logger = logging.getLogger("portkey_runs")

# NEEDED: the (model, property) pairs the client itself reads to do its job, from the spec's
# `x-needed` (a run's id and status and what it asks for, the tool calls the tool loop answers,
# the ids the snapshots are keyed by, event names and data, each delta's index, a page's runs and
# cursors): an unusable value raises even in a tolerant read, and they are typed at arrival. (The
# way to them and a delta's text, `x-eager`, are typed at arrival too but read tolerantly.)


def needed(model: str, name: str | int) -> bool:
    """Whether the client needs property ``name`` of ``model`` (see :data:`NEEDED`)."""
    return (model, str(name)) in NEEDED


def _is_needed(error: ParseError) -> bool:
    """Whether ``error`` is a breach of a property the client needs (the first step of its path)."""
    return needed(error.model, error.path[0] if error.path else "")


@frozen
class SpecDrift:
    """One departure from the spec, read tolerantly.

    ``model`` and ``path`` say where (``RunStep`` and ``expires_at``; ``path`` may go deeper,
    ``tool_calls[2]``); ``problem`` what was wrong (``missing required property``, ``expected
    integer, got string '12'``); ``request_id`` which answer (its ``x-request-id``), if known.
    The property reads as ``None``.
    """

    model: str
    path: str
    problem: str
    request_id: str | None

    @property
    def location(self) -> str:
        """``model.path``, e.g. ``RunStep.expires_at``."""
        return f"{self.model}.{self.path}"


#: The (model, property) pairs announced already in this process, and the lock that guards them.
_announced: set[tuple[str, str]] = set()
_announced_lock = threading.Lock()


def _announce(drift: SpecDrift, name: str | int, where: str) -> None:
    """A warning and a log line, the first time property ``name`` of ``drift.model`` departs in
    this process (wherever in it: ``tools[0]`` and ``tools[2].type`` are ``tools``)."""
    key = (drift.model, str(name))
    with _announced_lock:
        if key in _announced:
            return
        _announced.add(key)
    message = (
        f"{where}{drift.location}: {drift.problem} (request id {drift.request_id or 'unknown'}); "
        "read tolerantly as None"
    )
    logger.warning("the answer departs from the spec: %s", message)
    try:
        warnings.warn(message, SpecDriftWarning, stacklevel=_outside())
    except BaseException:
        # A warnings filter turned it into an error: not announced, so the next one raises too.
        with _announced_lock:
            _announced.discard(key)
        raise


#: The folders of this package and of the generated one: a warning points past their frames.
_OURS = tuple(os.path.dirname(path) + os.sep for path in (__file__, portkey_runs_api.__file__))


def _outside() -> int:
    """The ``stacklevel``, for a ``warnings.warn`` in the caller, of the first frame outside this
    package and the generated one: the line of user code that read the answer (what
    ``skip_file_prefixes`` does on Python 3.12+). Walked once per announcement only."""
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_OURS):
        level, frame = level + 1, frame.f_back
    return level


#: Guards what a log keeps: lazy properties are read, and report, from any thread (a leaf lock:
#: nothing else is taken, nor any code outside this module run, while it is held).
_keep_lock = threading.Lock()


class DriftLog:
    """What the tolerant reads of one answer (a page, a submission, a stream) found: each
    departure once per occurrence (two events that depart alike, two entries)."""

    def __init__(self, response: httpx.Response | None) -> None:
        self._response = response
        request = None if response is None else request_of(response)
        #: The request's headers as sent: an error's masking replaces the request's own with
        #: redacted ones, and a lazy property read after it may still quote an echoed secret.
        self._sent = None if request is None else request.headers
        self.records: list[SpecDrift] = []
        self._listed: set[SpecDrift] = set()
        #: Departures a snapshot's read listed before any event's: an event's lazy property read
        #: later finds the same one, listed already (each taken once).
        self._ahead: collections.Counter[SpecDrift] = collections.Counter()

    @functools.cached_property
    def snapshots(self) -> DriftLog:
        """The log of the reads of snapshots built from this answer's events: a snapshot departs
        where its events did, and is read again and again, so a departure that is listed
        already (by an event or an earlier read) is not listed again."""
        return _SnapshotLog(self)

    def _keep(self, drift: SpecDrift) -> None:
        with _keep_lock:
            if self._ahead[drift]:
                self._ahead[drift] -= 1
                return
            self.records.append(drift)
            self._listed.add(drift)

    @functools.cached_property
    def _secrets(self) -> tuple[str, ...]:
        """The secret values the answer's request carried (a server may echo them back)."""
        return () if self._sent is None else secret_values(self._sent.multi_items())

    def _masked(self, problem: str) -> str:
        """``problem`` with the secrets the request carried masked: it quotes the value (``got
        string 'sk-...'``), cut short after 60 characters with ``...``."""
        if not self._secrets:
            return problem
        if problem.endswith("..."):
            return redact_text(problem[:-3], self._secrets) + "..."
        return redact_text(problem, self._secrets)

    @property
    def request_id(self) -> str | None:
        """The answer's request id (read when a departure is reported, not before)."""
        response = self._response
        return None if response is None else ResponseMeta.of(response).request_id

    def report(self, error: ParseError, where: str, body: Any) -> None:
        """Keep and announce ``error``; one the client needs raises ``ResponseValidationError``."""
        if _is_needed(error):
            raise ResponseValidationError(f"{where}{error}", body, error.location)
        name = error.path[0] if error.path else ""
        path = error.location[len(error.model) :].lstrip(".")
        drift = SpecDrift(error.model, path, self._masked(error.reason), self.request_id)
        self._keep(drift)
        _announce(drift, name, where)


class _SnapshotLog(DriftLog):
    """:attr:`DriftLog.snapshots`: the same records, each departure listed once."""

    def __init__(self, log: DriftLog) -> None:
        self._log = log
        self._response = log._response
        self.records = log.records
        self._listed = log._listed
        self._ahead = log._ahead

    @property
    def _secrets(self) -> tuple[str, ...]:
        return self._log._secrets

    def _keep(self, drift: SpecDrift) -> None:
        with _keep_lock:
            if drift not in self._listed:
                self.records.append(drift)
                self._listed.add(drift)
                self._ahead[drift] += 1


def drift_log(response: httpx.Response, strict: bool) -> DriftLog | None:
    """The log of a tolerant read of ``response``'s answer; ``None`` for a strict one."""
    return None if strict else DriftLog(response)


class _Model(Protocol):
    """A generated model: what ``parse`` and ``read_tolerantly`` read."""

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


M = TypeVar("M", bound=_Model)


def read_tolerantly(
    model: type[M], data: Mapping[str, Any], where: str, log: DriftLog, eager: bool = False
) -> M:
    """``model.from_dict(data)`` with every breach of the contract reported to ``log``: what the
    client needs at once, the rest when first read (all at once with ``eager``: for views of
    data that changes after the read).

    A breach the client needs raises ``ResponseValidationError`` naming the path from ``data``'s
    model, as a strict read's does: found while ``from_dict`` runs, it goes up as a
    ``NeededError`` through every enclosing model (each adds its step; none tolerates it, an
    ``x-eager`` link neither); found later, by a lazy property's first read, it names the path
    from the model being built.
    """
    arriving = True

    def report(error: ParseError) -> None:
        if arriving and _is_needed(error):
            raise NeededError(error.reason, error.model, error.path)
        log.report(error, where, data)

    token = TOLERANCE.set(report)
    eager_token = EAGER.set(True) if eager else None
    try:
        return model.from_dict(data)
    except NeededError as exc:
        raise ResponseValidationError(f"{where}{exc}", data, exc.location) from exc
    finally:
        arriving = False
        if eager_token is not None:
            EAGER.reset(eager_token)
        TOLERANCE.reset(token)
