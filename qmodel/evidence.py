"""Evidence: one typed record per line of a master-equation result's convergence evidence.

Each line (:class:`Evidence`) names a check, whether it ``passed`` (True, False, or None when
it is missing), the measured ``value`` and its ``bound``, whether the verdict ``required`` it,
whether it owes anything to the linearized covariance matrix (``independent``), a one-sentence
``detail`` and the check's own extra numbers.  ``to_dict()`` is its JSON form (the keys of
``QResult.evidence`` in every command's output); a record also reads like that dict
(``e["passed"]``, ``dict(e)``), which is how the verdicts of :mod:`compare` take it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence(Mapping):
    """One line of evidence.  ``extras``: the check's further ``(key, value)`` pairs in their
    JSON order; ``detail_at``: where ``detail`` stands among them (None: after them).  The
    JSON form leaves ``detail`` out when it is None."""
    name: str
    passed: bool | None
    value: float | None
    bound: float | None
    required: bool = True
    independent: bool = False
    detail: str | None = None
    extras: tuple = ()
    detail_at: int | None = None

    def to_dict(self) -> dict:
        out = {"name": self.name, "passed": self.passed, "value": self.value,
               "bound": self.bound, "required": self.required,
               "independent_of_linearized": self.independent}
        rest = list(self.extras)
        if self.detail is not None:
            rest.insert(len(rest) if self.detail_at is None else self.detail_at,
                        ("detail", self.detail))
        out.update(rest)
        return out

    # read like the JSON dict
    def __getitem__(self, key):
        return self.to_dict()[key]

    def __iter__(self):
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def evidence(name, passed, value, bound, required=True, independent=False,
             **extra) -> Evidence:
    """One line of evidence: ``passed`` True, False or None (missing); ``value`` and ``bound``
    numbers or None; the keyword arguments after them (``detail`` among them) in the order
    given."""
    keys = list(extra)
    detail = extra.pop("detail", None)
    # detail stays where the caller wrote it among the extras (the JSON key order)
    at = keys.index("detail") if "detail" in keys[:-1] else None
    return Evidence(name, None if passed is None else bool(passed),
                    None if value is None else float(value),
                    None if bound is None else float(bound), bool(required), bool(independent),
                    detail, tuple(extra.items()), at)


def evidence_item(name, passed, value, bound, required=True, independent=False,
                  **extra) -> dict:
    """The JSON form of one line of evidence (:func:`evidence`), for verdicts that assemble
    their own lists of dicts."""
    return evidence(name, passed, value, bound, required, independent, **extra).to_dict()


#: the growth line: the one line of evidence a fixed truncation cannot have
GROWTH = "truncation_growth"


def for_verdict(items) -> list:
    """The evidence a verdict or a "converged" claim rests on, as JSON dicts: every line as
    given, with the truncation's growth required.  A fixed truncation was never grown, so its
    growth line is missing: whatever else passed, nothing shows that the measures stopped
    moving, so it is not converged (and a verdict on it is undecided).  The one place of the
    rule "a fixed truncation is never converged"."""
    return [dict(e, required=e["required"] or e["name"] == GROWTH) for e in items]


def proved(items) -> bool:
    """True when every line :func:`for_verdict` requires passed."""
    return all(e["passed"] is True for e in for_verdict(items) if e["required"])
