"""The records the API serves, one :class:`Resource` each: how a list is filtered and paged, how a JSON body
becomes a service's input, and which read model answers (the same as the CLI's ``--json``).

Every function here runs in a worker thread with the database first, like a service, and only parses and
calls services: the queries, checks and rules stay in ``tinycrm.services``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.rows import Page

Query = Mapping[str, str]


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # integer, string, boolean
    help: str


@dataclass(frozen=True)
class Action:
    """``POST /api/v1/NAME/{id}/ACTION``: something done to one record (a ticket's reply), answered with the
    record after it (201)."""

    name: str
    run: Callable[[Any, int, dict[str, Any]], Any]
    #: the body's fields: name -> (type, help); those of ``required`` must be there
    fields: dict[str, tuple[str, str]]
    required: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Resource:
    """One kind of record at ``/api/v1/NAME`` and ``/api/v1/NAME/{id}``."""

    name: str
    #: the read model of one record, and of a list's items (for the OpenAPI document)
    model: type
    item_model: type
    list: Callable[[Any, Query, int, int], Page[Any]]
    params: tuple[Param, ...] = ()
    get: Callable[[Any, int], Any] | None = None
    create: Callable[[Any, dict[str, Any]], Any] | None = None
    input_model: type | None = None
    update: Callable[[Any, int, dict[str, Any], int | None], Any] | None = None
    #: updates must carry the version they were based on
    versioned: bool = True
    delete: Callable[[Any, int], Any] | None = None
    help: str = ""
    actions: tuple[Action, ...] = ()


# --- input ----------------------------------------------------------------------------------------------


def _flag(q: Query, name: str) -> bool | None:
    text = q.get(name)
    if text is None or text == "":
        return None
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false (got {text!r})", field=name)


def _int(q: Query, name: str) -> int | None:
    text = q.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number (got {text!r})", field=name) from None


def build(model: type, doc: dict[str, Any], convert: Mapping[str, Callable[[Any], Any]] | None = None) -> Any:
    """A service input dataclass from a JSON object: unknown keys are refused, naming the known ones."""
    known = {f.name for f in fields(model)}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]!r}; a {model.__name__} takes: {', '.join(sorted(known))}",
            field=unknown[0],
        )
    values = dict(doc)
    for key, fn in (convert or {}).items():
        if key in values and values[key] is not None:
            values[key] = fn(values[key])
    try:
        return model(**values)
    except TypeError as exc:
        raise InvalidInput(f"missing or wrong field: {exc}") from None


def _labeled(items: Any) -> list[Any]:
    from tinycrm.domain.rows import Labeled

    if not isinstance(items, list):
        raise InvalidInput("emails and phones are lists of strings or of {value, label} objects")
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(Labeled(str(item.get("value") or ""), item.get("label")))
        else:
            out.append(item)
    return out


def _addresses(items: Any) -> list[Any]:
    from tinycrm.domain.people import Address

    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("addresses are a list of objects (street, locality, postcode, country, label...)")
    return [build(Address, i) for i in items]


CONTACT_LISTS = {"emails": _labeled, "phones": _labeled, "addresses": _addresses}


def _changes(
    doc: dict[str, Any], convert: Mapping[str, Callable[[Any], Any]] | None = None
) -> dict[str, Any]:
    out = dict(doc)
    for key, fn in (convert or {}).items():
        if key in out and out[key] is not None:
            out[key] = fn(out[key])
    return out


# --- contacts -------------------------------------------------------------------------------------------


def list_contacts(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.people import contact_search

    archived = _flag(q, "archived")
    args: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "tag": q.get("tag") or None,
        "company": q.get("company") or None,
    }
    args["archived"] = archived if archived is not None else False
    if q.get("q", "").strip():
        return contact_search.search(db, q["q"], **args)
    return contact_search.list_contacts(db, **args)


def get_contact(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import contact_loader

    return contact_loader.get(db, record_id)


def create_contact(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    return contacts.create(db, build(ContactInput, doc, CONTACT_LISTS))


def update_contact(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    from tinycrm.services.people import contacts

    return contacts.update(db, record_id, _changes(doc, CONTACT_LISTS), expected_version=version)


def delete_contact(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import contacts

    return contacts.delete(db, record_id)


# --- companies ------------------------------------------------------------------------------------------


def list_companies(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.people import companies

    _no_query(q, "companies")
    return _page(companies.list_companies(db, limit=limit, offset=offset, tag=q.get("tag") or None))


def _no_query(q: Query, what: str) -> None:
    if q.get("q", "").strip():
        raise InvalidInput(
            f"q= searches contacts (/api/v1/contacts?q=...); filter {what} with the parameters listed in "
            "/api/v1/openapi.json",
            field="q",
        )


def get_company(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import companies

    return companies.get(db, record_id)


def create_company(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.domain.people import CompanyInput
    from tinycrm.services.people import companies

    return companies.create(db, build(CompanyInput, doc))


def update_company(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    from tinycrm.services.people import companies

    return companies.update(db, record_id, doc, expected_version=version)


def delete_company(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import companies

    return companies.delete(db, record_id)


# --- interactions ---------------------------------------------------------------------------------------


def list_interactions(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.people import interactions

    _no_query(q, "interactions")
    contact, company = _int(q, "contact"), _int(q, "company")
    if contact is not None:
        return interactions.timeline(db, contact, limit=limit, offset=offset, kind_=q.get("kind") or None)
    if company is not None:
        return interactions.for_company(db, company, limit=limit, offset=offset)
    raise InvalidInput(
        "list interactions of a contact (?contact=ID) or of a company (?company=ID)", field="contact"
    )


def get_interaction(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import interactions

    return interactions.get(db, record_id)


def create_interaction(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.services.people import interactions

    known = {"contact_ids", "kind", "summary", "when", "body", "company_id", "deal_id"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; an interaction takes: {', '.join(sorted(known))}")
    args = dict(doc)
    if not isinstance(args.get("contact_ids"), list) or not args.get("summary"):
        raise InvalidInput(
            "an interaction needs contact_ids (a list of contact ids) and a summary", field="contact_ids"
        )
    args["kind_"] = args.pop("kind", None) or "note"
    return interactions.log(db, **args)


def update_interaction(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    from tinycrm.services.people import interactions

    return interactions.update(db, record_id, doc, expected_version=version)


def delete_interaction(db: Any, record_id: int) -> Any:
    from tinycrm.services.people import interactions

    return interactions.delete(db, record_id)


# --- deals ----------------------------------------------------------------------------------------------


def list_deals(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.sales import deal_reads

    _no_query(q, "deals")
    return _page(
        deal_reads.list_deals(
            db,
            status=q.get("status") or "open",
            pipeline=q.get("pipeline") or None,
            stage=q.get("stage") or None,
            owner=q.get("owner") or None,
            contact_id=_int(q, "contact"),
            company_id=_int(q, "company"),
            limit=limit,
            offset=offset,
        )
    )


def get_deal(db: Any, record_id: int) -> Any:
    from tinycrm.services.sales import deal_reads

    return deal_reads.get(db, record_id)


def create_deal(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    return deals.create(db, build(DealInput, doc, {"value": str}))


def update_deal(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    """Fields as ``crm deal edit`` takes them; or ``status`` alone: ``won``, ``lost`` (with ``lost_reason``)
    or ``open`` (reopen), as ``crm deal win|lose|reopen``."""
    from tinycrm.services.sales import deals

    if "status" not in doc:
        return deals.update(db, record_id, doc, expected_version=version)
    status, rest = doc["status"], set(doc) - {"status", "lost_reason"}
    if rest:
        raise InvalidInput(f"change a deal's status on its own, not with {sorted(rest)[0]}", field="status")
    deals.update(db, record_id, {}, expected_version=version)  # a conflict is said before anything changes
    if status == "won":
        return deals.win(db, record_id)
    if status == "lost":
        return deals.lose(db, record_id, str(doc.get("lost_reason") or ""))
    if status == "open":
        return deals.reopen(db, record_id)
    raise InvalidInput(f"status must be open, won or lost (got {status!r})", field="status")


def delete_deal(db: Any, record_id: int) -> Any:
    from tinycrm.services.sales import deals

    return deals.delete(db, record_id)


# --- pipelines ------------------------------------------------------------------------------------------


def list_pipelines(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.sales import pipelines

    _no_query(q, "pipelines")
    everything = pipelines.list_pipelines(db)  # a handful: a CRM has few pipelines
    return Page(everything[offset : offset + limit], len(everything), limit, offset)


def get_pipeline(db: Any, record_id: int) -> Any:
    from tinycrm.services.sales import pipelines

    return pipelines.get(db, record_id)


def create_pipeline(db: Any, doc: dict[str, Any]) -> Any:
    """``{"name": ..., "stages": [{"name", "probability", "idle_days"}...]}`` (stages optional)."""
    from tinycrm.services.sales import pipelines

    unknown = sorted(set(doc) - {"name", "stages"})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; a pipeline takes: name, stages")
    stages = doc.get("stages")
    specs = None
    if stages is not None:
        if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
            raise InvalidInput("stages is a list of {name, probability, idle_days} objects", field="stages")
        specs = [
            (str(s.get("name") or ""), int(s.get("probability") or 0), s.get("idle_days")) for s in stages
        ]
    return pipelines.create(db, str(doc.get("name") or ""), specs)


def update_pipeline(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    from tinycrm.services.sales import pipelines

    unknown = sorted(set(doc) - {"name"})
    if unknown:
        raise InvalidInput(
            f"a pipeline's name is changed here (stages: crm pipeline stage ...); not {unknown[0]!r}"
        )
    if "name" not in doc:
        return pipelines.get(db, record_id)
    return pipelines.rename(db, record_id, str(doc["name"] or ""))


def delete_pipeline(db: Any, record_id: int) -> Any:
    from tinycrm.services.sales import pipelines

    return pipelines.remove(db, record_id)


# --- tasks ----------------------------------------------------------------------------------------------


def list_tasks(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.work import tasks

    _no_query(q, "tasks")
    return _page(
        tasks.list_tasks(
            db,
            status=q.get("status") or "open",
            contact_id=_int(q, "contact"),
            deal_id=_int(q, "deal"),
            company_id=_int(q, "company"),
            owner=q.get("owner") or None,
            overdue=bool(_flag(q, "overdue")),
            limit=limit,
            offset=offset,
        )
    )


def get_task(db: Any, record_id: int) -> Any:
    from tinycrm.services.work import tasks

    return tasks.get(db, record_id)


def create_task(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks

    return tasks.create(db, build(TaskInput, doc))


def update_task(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    """Fields as ``crm task edit`` takes them; or ``"done": true`` alone, as ``crm task done`` (a repeating
    task gets its next occurrence)."""
    from tinycrm.services.work import tasks

    if doc.get("done") is True:
        if set(doc) != {"done"}:
            raise InvalidInput('complete a task on its own ("done": true), then change it', field="done")
        return tasks.complete(db, record_id, expected_version=version)[0]
    return tasks.update(db, record_id, doc, expected_version=version)


def delete_task(db: Any, record_id: int) -> Any:
    from tinycrm.services.work import tasks

    return tasks.delete(db, record_id)


# --- tags -----------------------------------------------------------------------------------------------


def list_tags(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.people import contact_search

    _no_query(q, "tags")
    everything = contact_search.list_tags(db)
    return Page(everything[offset : offset + limit], len(everything), limit, offset)


def _page(found: Any) -> Page[Any]:
    """A list service's page (never its stream, which only ``--all`` on the command line asks for)."""
    assert isinstance(found, Page)
    return found
