"""``crm hook add|list|remove|test`` and ``crm hooks deliver|failed|retry``: webhooks and local hooks."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

hook_app = typer.Typer(help="Webhooks: programs told about changes over HTTP.", no_args_is_help=True)
hooks_app = typer.Typer(
    help="Delivering events: run a round (cron), see and retry what failed.", no_args_is_help=True
)


def show_hooks(items, as_json: bool) -> None:  # noqa: ANN001
    def human() -> None:
        render.table(
            ((h.id, h.url, " ".join(h.events), h.secret, h.pending, h.failed) for h in items),
            ["id", "url", "events", "secret", "pending", "failed"],
            styles=["dim", "cyan", None, "dim", None, "red"],
        )

    render.emit(items, as_json, human)


@hook_app.command("add")
def hook_add_cmd(
    url: str = typer.Argument(..., help="Where events are POSTed (http:// or https://)."),
    events: list[str] = typer.Option(
        ..., "--event", "-e", metavar="EVENT", help="An event type (repeat it), e.g. deal.won; * for all."
    ),
    secret_env: str = typer.Option(
        None,
        "--secret-env",
        metavar="VAR",
        help="Sign with the secret in this environment variable (read at each delivery); default: a new "
        "secret, shown once.",
    ),
    as_json: bool = JSON,
) -> None:
    """Add a webhook: the events made from now on are POSTed to URL, signed (Standard Webhooks)."""
    from tinycrm.services.hooks import registry

    names = [name for e in events for name in e.replace(",", " ").split()]
    made = registry.add(state.db(), url, names, secret_env=secret_env)

    def human() -> None:
        render.out(str(made.hook.id))
        if made.secret:
            render.note(f"hook {made.hook.id} added; its signing secret, shown this once:")
            render.out(made.secret)

    render.emit(made, as_json, human)


@hook_app.command("list")
def hook_list_cmd(as_json: bool = JSON) -> None:
    """The webhooks, with how many deliveries are pending and failed."""
    from tinycrm.services.hooks import registry

    show_hooks(registry.list_hooks(state.db()), as_json)


@hook_app.command("remove")
def hook_remove_cmd(
    hook_id: int = typer.Argument(..., help="The hook's id (crm hook list)."), as_json: bool = JSON
) -> None:
    """Remove a webhook, and what was still to be delivered to it."""
    from tinycrm.services.hooks import registry

    gone = registry.remove(state.db(), hook_id)
    render.emit(gone, as_json, lambda: render.note(f"hook {gone.id} ({gone.url}) removed"))


@hook_app.command("test")
def hook_test_cmd(
    hook_id: int = typer.Argument(..., help="The hook's id (crm hook list)."), as_json: bool = JSON
) -> None:
    """Send a signed hook.test event to a webhook now; exit 1 if it was not accepted."""
    from tinycrm.services.hooks import registry

    result = registry.test(state.db(), hook_id)
    render.emit(result, as_json, lambda: render.out("ok" if result.ok else f"failed: {result.error}"))
    if not result.ok:
        raise typer.Exit(1)


@hooks_app.command("deliver")
def hooks_deliver_cmd(as_json: bool = JSON) -> None:
    """For cron: deliver what is due (webhooks and local hooks); silent when there is nothing to say."""
    from tinycrm.services.hooks import delivery

    done = delivery.deliver_round(state.db())
    if as_json:
        render.print_json(done)
    elif done.failed:
        render.note(f"{done.failed} deliveries failed for a day and were given up: see crm hooks failed")


@hooks_app.command("failed")
def hooks_failed_cmd(as_json: bool = JSON) -> None:
    """Deliveries given up after a day of retries, the newest 1000."""
    from tinycrm.domain.dates import show
    from tinycrm.services.hooks import registry

    items = registry.failed(state.db(), limit=1000)

    def human() -> None:
        render.table(
            (
                (
                    f.event_id,
                    f.event_type,
                    f"{f.record_kind} {f.record_id}",
                    f.target,
                    f.attempts,
                    f.last_error or "",
                    show(f.given_up_at),
                )
                for f in items
            ),
            ["event", "type", "record", "to", "attempts", "last error", "given up"],
        )

    render.emit(items, as_json, human)


@hooks_app.command("retry")
def hooks_retry_cmd() -> None:
    """Queue every failed delivery again (the next round sends them)."""
    from tinycrm.services.hooks import registry

    render.note(f"{registry.retry_failed(state.db())} deliveries queued again")


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")
    app.add_typer(hooks_app, name="hooks")
