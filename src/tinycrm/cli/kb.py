"""The knowledge base on the command line: ``crm kb add|edit|list|show|search|export`` (docs/support.md)."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank, read_text_arg

kb_app = typer.Typer(
    help="The knowledge base: add, edit, list, show, search and export articles.", no_args_is_help=True
)

ARTICLE = typer.Argument(..., metavar="ID|SLUG", help="The article's id or slug (crm kb list shows them).")


def _body(body: str | None, file: str | None) -> str | None:
    from tinycrm.domain.errors import InvalidInput

    if body is not None and file is not None:
        raise InvalidInput("give --body or --file, not both")
    if file is None:
        return read_text_arg(body, "--body")
    try:
        with open(file, encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise InvalidInput(f"--file {file}: not UTF-8 text; re-encode it") from None
    except OSError as exc:
        raise InvalidInput(f"--file {file}: {exc.strerror}") from None


def show_articles(page: Any, as_json: bool) -> None:
    def human() -> None:
        rows = [
            [a.id, a.slug, a.title, "published" if a.published else "draft", " ".join(a.tags)]
            for a in page.items
        ]
        render.table(rows, ["id", "slug", "title", "state", "tags"])

    render.emit_page(page, "articles", as_json, human)


def show_article(a: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    def human() -> None:
        render.record(
            [
                ("id", str(a.id)),
                ("title", a.title),
                ("slug", a.slug),
                ("state", "published" if a.published else "draft"),
                ("tags", " ".join(a.tags)),
                ("url", a.url),
                ("updated", f"{show(a.updated_at)} (version {a.version})"),
            ]
        )
        render.out("")
        render.out(a.body.rstrip("\n"))

    render.emit(a, as_json, human)


@kb_app.command("add")
def add_cmd(
    title: str = typer.Argument(..., help="The article's title."),
    body: str = typer.Option(None, "--body", "-b", help="Markdown text; '-' reads standard input."),
    file: str = typer.Option(None, "--file", "-f", help="Read the Markdown text from this file."),
    tag: list[str] = typer.Option([], "--tag", "-t", help="A tag (repeatable)."),
    draft: bool = typer.Option(False, "--draft", help="Keep it as a draft (not published, not exported)."),
    slug: str = typer.Option(
        None, "--slug", callback=not_blank, help="Its name in links (default: from the title)."
    ),
    as_json: bool = JSON,
) -> None:
    """Add an article."""
    from tinycrm.services.support import kb

    a = kb.add(state.db(), title=title, body=_body(body, file), tags=tag, published=not draft, slug=slug)
    render.emit(
        a,
        as_json,
        lambda: render.out(f"{a.id}\t{a.slug}" if not render.is_tty() else f"added {a.slug} ({a.id})"),
    )


@kb_app.command("edit")
def edit_cmd(
    article: str = ARTICLE,
    title: str = typer.Option(None, "--title", help="A new title."),
    body: str = typer.Option(None, "--body", "-b", help="New Markdown text; '-' reads standard input."),
    file: str = typer.Option(None, "--file", "-f", help="Read the new Markdown text from this file."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="Replace the tags (repeatable)."),
    publish: bool = typer.Option(None, "--publish/--draft", help="Publish it, or make it a draft."),
    slug: str = typer.Option(None, "--slug", callback=not_blank, help="A new slug."),
    expect_version: int = typer.Option(None, "--expect-version", help="Fail if it changed since."),
    as_json: bool = JSON,
) -> None:
    """Change an article."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.support import kb

    changes: dict[str, Any] = {}
    text = _body(body, file)
    for key, value in (("title", title), ("body", text), ("published", publish), ("slug", slug)):
        if value is not None:
            changes[key] = value
    if tag:
        changes["tags"] = tag
    if not changes:
        raise InvalidInput(
            "nothing to change: give --title, --body, --file, --tag, --publish/--draft or --slug"
        )
    a = kb.edit(state.db(), article, changes, expected_version=expect_version)
    show_article(a, as_json)


@kb_app.command("list")
def list_cmd(
    tag: str = typer.Option(None, "--tag", callback=not_blank, help="Only articles with this tag."),
    published: bool = typer.Option(False, "--published", help="Only published articles."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List articles, the latest changed first."""
    from tinycrm.services.support import kb

    page = kb.list_page(
        state.db(), drafts=not published, tag=tag, limit=limit_of(limit, show_all), offset=offset
    )
    show_articles(page, as_json)


@kb_app.command("show")
def show_cmd(article: str = ARTICLE, as_json: bool = JSON) -> None:
    """Show an article."""
    from tinycrm.services.support import kb

    show_article(kb.get(state.db(), article), as_json)


@kb_app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help='Words (prefixes), "a phrase", title:, body:, tag:.'),
    drafts: bool = typer.Option(False, "--drafts", help="Search drafts too."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Search the articles, best match first."""
    from tinycrm.services.support import kb

    page = kb.search(state.db(), query, drafts=drafts, limit=limit_of(limit, show_all), offset=offset)
    show_articles(page, as_json)


@kb_app.command("export")
def export_cmd(
    folder: str = typer.Argument(..., metavar="DIR", help="Where to write one SLUG.md per article."),
    drafts: bool = typer.Option(False, "--drafts", help="Export drafts too (front matter draft: true)."),
    as_json: bool = JSON,
) -> None:
    """Write the articles as Markdown files with front matter, for a static site generator."""
    from pathlib import Path

    from tinycrm.services.support import kb

    paths = kb.export(state.db(), Path(folder), drafts=drafts)
    render.emit(
        [str(p) for p in paths], as_json, lambda: render.note(f"wrote {len(paths)} articles to {folder}")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
