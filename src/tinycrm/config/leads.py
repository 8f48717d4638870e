"""The ``[leads]`` section (with its ``[leads.score]`` and ``[leads.form_fields]`` tables) and ``[forecast]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tinycrm.config.base import Bad, Section, setting, shown

#: the rule families of ``[leads.score]``: ``source.WORD``, ``has.FIELD``, ``title.contains.WORD``,
#: ``interaction.KIND``, ``decay.week``
SCORE_FIELDS = ("company", "email", "phone", "title", "value")
INTERACTION_KINDS = ("call", "email", "meeting", "message", "note", "other")
DEFAULT_SCORE = {
    "source.referral": 30,
    "source.web": 10,
    "has.company": 10,
    "has.email": 5,
    "title.contains.ceo": 20,
    "interaction.meeting": 15,
    "interaction.email": 5,
    "decay.week": 5,
}
#: the patterns a contact-form notification is read with: field -> a regular expression whose first group is
#: the value (multi-line, case-insensitive)
DEFAULT_FORM_FIELDS = {
    "name": r"^\s*(?:name|full name|your name)\s*[:=]\s*(.+?)\s*$",
    "email": r"^\s*(?:e-?mail|email address|your email)\s*[:=]\s*(\S+@\S+?)\s*$",
    "phone": r"^\s*(?:phone|telephone|tel)\s*[:=]\s*(.+?)\s*$",
    "company": r"^\s*(?:company|organi[sz]ation)\s*[:=]\s*(.+?)\s*$",
    "title": r"^\s*(?:job title|title|position)\s*[:=]\s*(.+?)\s*$",
    "message": r"^\s*(?:message|comments?|enquiry|inquiry)\s*[:=]\s*(.+?)\s*$",
}
FORM_KEYS = tuple(DEFAULT_FORM_FIELDS)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"source": {"referral": 30}}`` (TOML's dotted keys) and ``{"source.referral": 30}`` alike."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{str(key).strip().lower()}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def score_rule(key: str) -> str | None:
    """What is wrong with a ``[leads.score]`` key, or None when it is a known rule."""
    family, _, rest = key.partition(".")
    if family == "source" and rest:
        return None
    if family == "has" and rest in SCORE_FIELDS:
        return None
    if family == "title" and rest.startswith("contains.") and rest[len("contains.") :]:
        return None
    if family == "interaction" and rest in INTERACTION_KINDS:
        return None
    if key == "decay.week":
        return None
    return (
        f"score rule {shown(key)} is unknown; use source.WORD, has.({'|'.join(SCORE_FIELDS)}), "
        f"title.contains.WORD, interaction.({'|'.join(INTERACTION_KINDS)}) or decay.week"
    )


def score_rules(table: Mapping[str, Any]) -> dict[str, int]:
    rules = _flatten(table) if table else dict(DEFAULT_SCORE)
    for key, points in rules.items():
        problem = score_rule(key)
        if problem:
            raise Bad(problem, "score")
        if isinstance(points, bool) or not isinstance(points, int) or not -1000 <= points <= 1000:
            raise Bad(
                f"score rule {key} must be a whole number from -1000 to 1000 (got {shown(points)})", "score"
            )
    return rules


def form_fields(table: Mapping[str, Any]) -> dict[str, str]:
    out = dict(DEFAULT_FORM_FIELDS)
    for key, pattern in (table or {}).items():
        if key not in FORM_KEYS:
            raise Bad(f"form field {shown(key)} is unknown; use one of {', '.join(FORM_KEYS)}", "form_fields")
        try:
            if not isinstance(pattern, str) or re.compile(pattern).groups < 1:
                raise re.error("no group")
        except re.error:
            raise Bad(
                f"form_fields.{key} must be a regular expression with a group for the value (got {shown(pattern)})",
                "form_fields",
            ) from None
        out[key] = pattern
    return out


_SPAN = re.compile(r"^\s*(\d+)\s*(h|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE)


def span_hours(text: str) -> int:
    """``"1 day"``, ``"36h"``, ``"2w"`` in hours."""
    m = _SPAN.match(text)
    if m is None or int(m.group(1)) < 1:
        raise ValueError(f'must be a span such as "1 day", "36 hours" or "2 weeks" (got {shown(text)})')
    unit = m.group(2)[0].lower()
    return int(m.group(1)) * {"h": 1, "d": 24, "w": 168}[unit]


def _span(value: str) -> str:
    span_hours(value)
    return value.strip()


def _assign(value: str) -> str:
    if value not in ("none", "round-robin"):
        raise ValueError(f'must be "none" or "round-robin" (got {shown(value)})')
    return value


def _senders(value: list) -> list[str]:
    if not all(isinstance(s, str) and s.strip() for s in value):
        raise ValueError("must be a list of addresses or domains in quotes")
    return [s.strip().lower() for s in value]


@dataclass(frozen=True)
class Leads(Section):
    """Leads: scoring, assignment, how fast a new one should be answered, contact-form mail."""

    #: a lead at or above this score is tagged ``hot`` and its owner gets a task
    threshold: int = setting(50)
    #: new leads untouched for this long appear in the agenda and ``crm remind`` ("1 day", "4 hours", "1w")
    respond_within: str = setting("1 day", check=_span)
    #: "round-robin": a new lead without an owner goes to the next active user of ``assign_role``; "none"
    assign: str = setting("none", check=_assign)
    #: the role whose members take turns (admin, member, ...)
    assign_role: str = setting("member")
    #: the rules of the score (``[leads.score]``): rule -> points; unset: the defaults in docs/leads.md
    score: Mapping[str, int] = setting(default_factory=dict, check=score_rules)
    #: senders (addresses, or ``@domain``) whose mail is a contact-form notification; empty: none is
    form_senders: list[str] = setting(default_factory=list, check=_senders)
    #: ``[leads.form_fields]``: field -> regular expression reading it from the notification's text
    form_fields: Mapping[str, str] = setting(default_factory=dict, check=form_fields)

    def validate(self) -> None:
        if not self.score:
            self.fill("score", dict(DEFAULT_SCORE))
        if not self.form_fields:
            self.fill("form_fields", dict(DEFAULT_FORM_FIELDS))

    @property
    def respond_hours(self) -> int:
        return span_hours(self.respond_within)


def _k(value: int) -> int:
    if not 0 <= value <= 10000:
        raise ValueError(f"must be a whole number from 0 to 10000 (got {value})")
    return value


@dataclass(frozen=True)
class Forecast(Section):
    """Forecasts learned from the deals' history (``crm report conversion|forecast|accuracy``)."""

    #: the weight of a stage's configured probability in the blend: (wins + k x p) / (closed + k)
    k: int = setting(10, check=_k)
    #: how far back the learned conversion looks ("12m", "90d", "2y")
    window: str = setting("12m")
