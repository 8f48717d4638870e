"""The web app's pages, work and sales side: today's agenda (done, snooze), the pipeline board (move a deal),
a deal."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tinycrm.domain.errors import InvalidInput
from tinycrm.web import auth
from tinycrm.web.context import call
from tinycrm.web.pages import form_text, int_arg, need_writer, render

SNOOZES = (("tomorrow 9am", "Tomorrow"), ("next monday 9am", "Next week"), ("in 1 hour", "In an hour"))
BOARD_LIMIT = 25


async def today(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.work import agenda

    mine = request.query.get("all") != "1"
    user = request[auth.USER]
    result = await call(request, agenda.agenda, days=7, owner=user.name if mine else None, limit=50)
    done = await _named_task(request, "done")
    snoozed = await _named_task(request, "snoozed")
    return render(
        request, "today.html", agenda=result, mine=mine, snoozes=SNOOZES, done=done, snoozed=snoozed
    )


async def _named_task(request: web.Request, key: str) -> object | None:
    """The task a Done or Snooze button just changed (``?done=ID``), so the page can say what happened to it:
    it has left the list the button was in."""
    from tinycrm.domain.errors import NotFound
    from tinycrm.services.work import tasks

    value = request.query.get(key, "")
    if not value.isdigit():
        return None
    try:
        return await call(request, tasks.get, int(value))
    except NotFound:
        return None


def _back(request: web.Request, form: object, default: str, **said: int) -> str:
    back = auth.local_path(form_text(form, "back"), default)
    for key, value in said.items():
        back += f"{'&' if '?' in back else '?'}{key}={value}"
    return back


async def task_done(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.work import tasks

    need_writer(request)
    task_id = int_arg(request.match_info["id"], "task")
    form = await request.post()
    await call(request, tasks.complete, task_id)
    return auth.see_other(_back(request, form, "/today", done=task_id))


async def task_snooze(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.work import tasks

    need_writer(request)
    task_id = int_arg(request.match_info["id"], "task")
    form = await request.post()
    until = form_text(form, "until")
    if until not in dict(SNOOZES):
        raise InvalidInput(f"snooze until one of: {', '.join(label for _, label in SNOOZES)}")
    await call(request, tasks.snooze, task_id, until)
    return auth.see_other(_back(request, form, "/today", snoozed=task_id))


async def pipeline(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.sales import pipelines

    chosen = request.query.get("p") or None
    all_pipelines = await call(request, pipelines.list_pipelines)
    if not all_pipelines:
        return render(request, "pipeline.html", board=None, pipelines=[])
    board = await call(request, pipelines.board, chosen, limit=BOARD_LIMIT)
    return render(
        request, "pipeline.html", board=board, pipelines=all_pipelines, moved=request.query.get("moved")
    )


def deal_view(db: Any, deal_id: int) -> dict[str, Any]:
    """What a deal's page shows, read in one worker call and one snapshot (see ``pages.contact_view``)."""
    from tinycrm.services.sales import deal_reads, pipelines

    with db.read():
        deal = deal_reads.get(db, deal_id)
        return {
            "d": deal,
            "stages": pipelines.get(db, deal.pipeline_id).stages,
            "timeline": deal_reads.timeline(db, deal_id, limit=30),
        }


async def deal_page(request: web.Request) -> web.StreamResponse:
    deal_id = int_arg(request.match_info["id"], "deal")
    return render(request, "deal.html", **await call(request, deal_view, deal_id))


async def deal_move(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.sales import deals

    need_writer(request)
    deal_id = int_arg(request.match_info["id"], "deal")
    form = await request.post()
    stage = form_text(form, "stage")
    if not stage.isdigit():
        raise InvalidInput("choose the stage to move the deal to")
    moved = await call(request, deals.move, deal_id, int(stage))
    return auth.see_other(_back(request, form, f"/deals/{deal_id}", moved=moved.id))


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/today", today, name="today")
    r.add_post("/tasks/{id}/done", task_done)
    r.add_post("/tasks/{id}/snooze", task_snooze)
    r.add_get("/pipeline", pipeline, name="pipeline")
    r.add_get("/deals/{id}", deal_page, name="deal")
    r.add_post("/deals/{id}/move", deal_move)
