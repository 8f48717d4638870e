"""The JSON API over real HTTP against ``crm serve``, on both stores: tokens and scopes, every resource's
list/get/create/update/delete, conflicts that name who changed the record, errors as JSON with the status that
means what the exit code means, and the OpenAPI document checked against the server both ways."""

from __future__ import annotations

import pytest
from api_support import call, seed_accounts
from web_support import Served, module_store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A server of the module's own, with tokens of each kind: (base URL, tokens)."""
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    urls = module_store(request.param, folder)
    url = next(urls)
    tokens = seed_accounts(url)
    server = Served(folder, db_url=url, env={"TINYCRM_USER": "ada"})
    yield server.url, tokens
    server.stop()
    for _ in urls:  # drops the PostgreSQL database
        pass


def test_contacts_round_trip_with_versions_and_conflicts(api):
    base, t = api
    made = call(
        base,
        "POST",
        "/api/v1/contacts",
        t.write,
        {"display_name": "Grace Hopper", "emails": ["grace@navy.mil"], "tags": ["vip"]},
    )
    assert made.status == 201, made.doc
    cid = made.doc["id"]
    assert made.headers["Location"] == f"/api/v1/contacts/{cid}"
    assert made.doc["emails"] == [{"value": "grace@navy.mil", "label": None}] and made.doc["version"] == 1

    found = call(base, "GET", "/api/v1/contacts?q=grace%20tag:vip", t.read)
    assert found.status == 200 and [c["id"] for c in found.doc["items"]] == [cid]
    assert found.doc["total"] == 1 and found.doc["more"] is False
    # a search says how its items come; a list does not
    assert found.doc["order"] == "name"
    assert call(base, "GET", "/api/v1/contacts?q=grace%20hopper", t.read).doc["order"] == "relevance"
    assert "order" not in call(base, "GET", "/api/v1/contacts", t.read).doc

    changed = call(
        base, "PATCH", f"/api/v1/contacts/{cid}", t.write, {"job_title": "Rear Admiral", "version": 1}
    )
    assert (changed.status, changed.doc["job_title"], changed.doc["version"]) == (200, "Rear Admiral", 2)
    stale = call(base, "PATCH", f"/api/v1/contacts/{cid}", t.write, {"job_title": "Admiral", "version": 1})
    assert stale.status == 409
    assert "changed by ada" in stale.doc["error"]["message"] and "job_title" in stale.doc["error"]["message"]
    unversioned = call(base, "PATCH", f"/api/v1/contacts/{cid}", t.write, {"job_title": "Admiral"})
    assert unversioned.status == 400 and unversioned.doc["error"]["field"] == "version"

    assert call(base, "GET", f"/api/v1/contacts/{cid}", t.read).doc["job_title"] == "Rear Admiral"
    gone = call(base, "DELETE", f"/api/v1/contacts/{cid}", t.write)
    assert gone.status == 200 and gone.doc["display_name"] == "Grace Hopper"
    missing = call(base, "GET", f"/api/v1/contacts/{cid}", t.read)
    assert missing.status == 404 and "no contact" in missing.doc["error"]["message"]


def test_errors_are_json_with_the_meaning_of_the_exit_codes(api):
    base, t = api
    bad = call(base, "POST", "/api/v1/contacts", t.write, {"display_name": "X", "emails": ["not an address"]})
    assert bad.status == 400 and bad.doc["error"]["message"]
    assert (
        call(base, "POST", "/api/v1/contacts", t.write, {"nickname": "x"}).doc["error"]["field"] == "nickname"
    )
    assert call(base, "POST", "/api/v1/contacts", t.write, raw=b"{not json").status == 400
    assert call(base, "GET", "/api/v1/contacts?limit=0", t.read).status == 400
    assert call(base, "GET", "/api/v1/contacts/abc", t.read).status == 404
    assert call(base, "GET", "/api/v1/contacts/99999", t.read).status == 404
    assert call(base, "GET", "/api/v1/companies?q=acme", t.read).status == 400  # q= searches contacts
    assert call(base, "GET", "/api/v1/nowhere", t.read).status == 404
    wrong_method = call(base, "PUT", "/api/v1/contacts", t.write, {})
    assert wrong_method.status in (404, 405) and wrong_method.doc["error"]["message"]


def test_tokens_and_scopes(api):
    base, t = api
    assert call(base, "GET", "/api/v1/contacts").status == 401
    bogus = call(base, "GET", "/api/v1/contacts", "tcrm_" + "x" * 43)
    assert bogus.status == 401 and bogus.headers["WWW-Authenticate"].startswith("Bearer")
    assert call(base, "GET", "/api/v1/contacts", t.viewer).status == 200  # a viewer reads
    for token in (t.read, t.viewer):
        refused = call(base, "POST", "/api/v1/contacts", token, {"display_name": "Nope"})
        assert refused.status == 403, refused.doc
    assert call(base, "GET", "/api/v1/contacts?q=nope", t.read).doc["total"] == 0


def test_companies_deals_tasks_interactions_pipelines_tags(api):
    base, t = api
    co = call(
        base, "POST", "/api/v1/companies", t.write, {"name": "Analytical Engines Ltd", "tags": ["client"]}
    ).doc
    ada = call(
        base, "POST", "/api/v1/contacts", t.write, {"display_name": "Ada King", "company_id": co["id"]}
    ).doc
    assert (
        call(
            base,
            "PATCH",
            f"/api/v1/companies/{co['id']}",
            t.write,
            {"domain": "engines.example", "version": co["version"]},
        ).status
        == 200
    )

    pipe = call(
        base,
        "POST",
        "/api/v1/pipelines",
        t.write,
        {
            "name": "Partners",
            "stages": [{"name": "Talk", "probability": 10}, {"name": "Sign", "probability": 90}],
        },
    )
    assert pipe.status == 201 and [s["name"] for s in pipe.doc["stages"]] == ["Talk", "Sign"]
    deal = call(
        base,
        "POST",
        "/api/v1/deals",
        t.write,
        {
            "title": "Engine",
            "value": "1200.50",
            "currency": "GBP",
            "pipeline": "Partners",
            "contact_ids": [ada["id"]],
        },
    )
    assert deal.status == 201, deal.doc
    d = deal.doc
    moved = call(
        base, "PATCH", f"/api/v1/deals/{d['id']}", t.write, {"stage": "Sign", "version": d["version"]}
    )
    assert moved.status == 200 and moved.doc["stage"] == "Sign"
    won = call(
        base, "PATCH", f"/api/v1/deals/{d['id']}", t.write, {"status": "won", "version": moved.doc["version"]}
    )
    assert won.status == 200 and won.doc["status"] == "won"
    assert [x["id"] for x in call(base, "GET", "/api/v1/deals?status=won", t.read).doc["items"]] == [d["id"]]

    task = call(
        base,
        "POST",
        "/api/v1/tasks",
        t.write,
        {"title": "Send the plans", "due": "2030-01-02", "contact_id": ada["id"]},
    )
    assert task.status == 201, task.doc
    done = call(
        base,
        "PATCH",
        f"/api/v1/tasks/{task.doc['id']}",
        t.write,
        {"done": True, "version": task.doc["version"]},
    )
    assert done.status == 200 and done.doc["status"] == "done"
    assert call(base, "GET", f"/api/v1/tasks?status=done&contact={ada['id']}", t.read).doc["total"] == 1

    note = call(
        base,
        "POST",
        "/api/v1/interactions",
        t.write,
        {"contact_ids": [ada["id"]], "kind": "call", "summary": "Talked engines"},
    )
    assert note.status == 201, note.doc
    listed = call(base, "GET", f"/api/v1/interactions?contact={ada['id']}", t.read).doc
    assert [i["summary"] for i in listed["items"]] == ["Talked engines"]
    assert call(base, "GET", "/api/v1/interactions", t.read).status == 400  # per contact or company
    assert call(base, "DELETE", f"/api/v1/interactions/{note.doc['id']}", t.write).status == 200

    tags = call(base, "GET", "/api/v1/tags", t.read).doc["items"]
    assert {"name": "client", "contacts": 0, "companies": 1} in tags
    in_use = call(base, "DELETE", f"/api/v1/pipelines/{pipe.doc['id']}", t.write)
    assert in_use.status == 400 and "holds 1 deal" in in_use.doc["error"]["message"]
    assert call(base, "DELETE", f"/api/v1/deals/{d['id']}", t.write).status == 200
    assert call(base, "DELETE", f"/api/v1/pipelines/{pipe.doc['id']}", t.write).status == 200


def test_the_openapi_document_matches_the_server(api):
    """Every documented route answers (and without a token 401); every route the server has is documented;
    answers carry the fields the document calls required."""
    from aiohttp import web

    from tinycrm.web.api import Api, add_routes
    from tinycrm.web.api.table import table

    base, t = api
    doc = call(base, "GET", "/api/v1/openapi.json", t.read).doc
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}

    app = web.Application()
    add_routes(app, Api(None, table()))
    served = {
        (r.method, r.resource.canonical)  # type: ignore[union-attr]
        for r in app.router.routes()
        if r.method not in ("*", "HEAD") and "{rest" not in r.resource.canonical  # type: ignore[union-attr]
    }
    assert documented == served

    # a record of each kind, so that every list and get has something to check
    seed = call(
        base, "POST", "/api/v1/contacts", t.write, {"display_name": "Schema Check", "tags": ["schema"]}
    ).doc
    call(base, "POST", "/api/v1/companies", t.write, {"name": "Schema Co"})
    call(base, "POST", "/api/v1/interactions", t.write, {"contact_ids": [seed["id"]], "summary": "Checked"})
    call(
        base,
        "POST",
        "/api/v1/deals",
        t.write,
        {"title": "Schema deal", "currency": "EUR", "contact_ids": [seed["id"]]},
    )
    call(base, "POST", "/api/v1/tasks", t.write, {"title": "Schema task", "contact_id": seed["id"]})
    call(base, "POST", "/api/v1/leads", t.write, {"name": "Schema lead", "email": "lead@schema.example"})
    call(base, "POST", "/api/v1/tickets", t.write, {"subject": "Schema ticket", "contact_id": seed["id"]})
    query = {"/api/v1/interactions": f"?contact={seed['id']}&"}
    for method, path in sorted(documented):
        concrete = path.replace("{id}", "1")
        assert call(base, method, concrete).status == 401, (method, path)
        if method != "GET" or path.endswith("openapi.json"):
            continue
        collection = path.removesuffix("/{id}")
        listed = call(base, "GET", collection + query.get(collection, "?") + "limit=1", t.read)
        if path == collection:
            check_required(doc, doc["paths"][path]["get"], listed)
            assert listed.doc["items"], path
        elif "id" in listed.doc["items"][0]:
            one = call(base, "GET", path.replace("{id}", str(listed.doc["items"][0]["id"])), t.read)
            check_required(doc, doc["paths"][path]["get"], one)
    call(base, "DELETE", f"/api/v1/contacts/{seed['id']}", t.write)


def check_required(doc, operation, reply) -> None:  # noqa: ANN001
    assert reply.status == 200, reply.doc
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    check_schema(doc, ref, reply.doc)


def check_schema(doc, ref: str, value) -> None:  # noqa: ANN001
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert isinstance(value, dict), (ref, value)
    missing = [k for k in schema["required"] if k not in value]
    assert not missing, f"{ref}: missing {missing}"
    for key, prop in schema["properties"].items():
        inner = prop.get("items", {}).get("$ref") if prop.get("type") == "array" else prop.get("$ref")
        if inner and value.get(key):
            for item in value[key] if prop.get("type") == "array" else [value[key]]:
                check_schema(doc, inner, item)


def test_an_error_body_says_what_is_wrong_without_a_crm_command(api):
    """The CLI's hint ("find one with: crm search NAME") means nothing to a program: the body has the message."""
    base, t = api
    missing = call(base, "GET", "/api/v1/contacts/999999", t.read)
    assert missing.status == 404 and missing.doc == {
        "error": {"status": 404, "message": "no contact with id 999999"}
    }
    for ref, message in (
        ({"company_id": 999999}, "no company with id 999999"),
        ({"contact_ids": [999999]}, "no contact with id 999999"),
    ):
        refused = call(base, "POST", "/api/v1/deals", t.write, {"title": "Lamps", "currency": "EUR", **ref})
        assert (refused.status, refused.doc["error"]["message"]) == (404, message)
    no_company = call(base, "POST", "/api/v1/contacts", t.write, {"display_name": "X", "company": "#999999"})
    assert (no_company.status, no_company.doc["error"]["message"]) == (404, "no company with id 999999")


def test_an_error_names_the_field_not_the_command_line_option(api):
    """Where the command line's fix is an option (``--currency EUR``, ``--next-step TEXT``), the API's message
    names the field it got, or nothing: a program sends fields."""
    base, t = api
    cases = [
        (
            ("POST", "/api/v1/deals", {"title": "Lamps", "value": "10"}),
            (400, "currency", "no default is set"),
        ),
        (
            ("POST", "/api/v1/deals", {"title": "Lamps", "currency": "EUR", "next_step_due": "2030-01-01"}),
            (400, "next_step", "a next step due date needs the next step itself"),
        ),
        (("GET", "/api/v1/leads?sort=colour", None), (400, "sort", "sort must be one of")),
        (("GET", "/api/v1/leads?status=asleep", None), (400, "status", "status must be one of")),
    ]
    for (method, path, body), (status, field, words) in cases:
        got = call(base, method, path, t.write, body)
        error = got.doc["error"]
        assert (got.status, error.get("field")) == (status, field), (path, got.doc)
        assert words in error["message"] and "--" not in error["message"], error
    made = call(base, "POST", "/api/v1/companies", t.write, {"name": "Versioned Ltd"})
    never = call(base, "PATCH", f"/api/v1/companies/{made.doc['id']}", t.write, {"name": "V", "version": 9})
    assert never.status == 400
    assert (
        never.doc["error"]["message"] == f"company {made.doc['id']} is at version 1; version 9 does not exist"
    )
