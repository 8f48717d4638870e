"""The knowledge base on both stores: the same search rules as contacts (prefixes, accents, Cyrillic, CJK,
phrases, fields), drafts, edits that re-index, slugs, and the Markdown export with front matter."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.services.support import kb


@pytest.fixture
def articles(db, clock):
    clock("2026-12-07T10:00:00+01:00")
    kb.add(db, title="Passwort zurücksetzen", body="Öffnen Sie die **Einstellungen**.", tags=["account"])
    kb.add(db, title="Драйвер принтера", body="Установите драйвер.", tags=["printer"])
    kb.add(db, title="東京オフィスの営業時間", body="9時から", tags=[])
    kb.add(
        db, title="Printer jams", body="Open the tray, remove the paper.", tags=["printer"], published=False
    )
    return db


def titles(page) -> list[str]:
    return [a.title for a in page.items]


@pytest.mark.parametrize(
    ("query", "drafts", "expected"),
    [
        ("zuruck", False, ["Passwort zurücksetzen"]),  # accents folded, prefix
        ("EINSTELL", False, ["Passwort zurücksetzen"]),  # in the body, any case
        ("драйв", False, ["Драйвер принтера"]),  # Cyrillic prefix
        ("営業", False, ["東京オフィスの営業時間"]),  # CJK inside a word
        ("tag:printer", False, ["Драйвер принтера"]),  # a draft is not found...
        ("tag:printer", True, ["Драйвер принтера", "Printer jams"]),  # ...unless asked for
        ('"remove the paper"', True, ["Printer jams"]),
        ("title:tray", True, []),
        ("body:tray", True, ["Printer jams"]),
    ],
)
def test_search_follows_the_contact_rules(articles, query, drafts, expected):
    assert sorted(titles(kb.search(articles, query, drafts=drafts))) == sorted(expected)


def test_bad_queries(articles):
    with pytest.raises(InvalidInput, match="no letters or digits"):
        kb.search(articles, "***")
    with pytest.raises(InvalidInput, match="use one of: body, tags, title"):
        kb.search(articles, 'name:"x"')


def test_edit_reindexes_and_slugs_are_unique(articles):
    a = kb.get(articles, "passwort-zurucksetzen")
    edited = kb.edit(articles, str(a.id), {"title": "Kennwort ändern", "tags": ["konto"]})
    assert (edited.version, edited.tags) == (2, ["konto"])
    assert titles(kb.search(articles, "kennw")) == ["Kennwort ändern"]
    assert titles(kb.search(articles, "passwort")) == []
    assert kb.add(articles, title="Printer jams", body="again").slug == "printer-jams-2"
    with pytest.raises(Conflict, match="slug 'printer-jams' exists"):
        kb.add(articles, title="x", body="y", slug="printer-jams")
    with pytest.raises(InvalidInput, match="slug 'Bad Slug'"):
        kb.edit(articles, "printer-jams", {"slug": "Bad Slug"})
    with pytest.raises(NotFound):
        kb.get(articles, "nothing-here")
    with pytest.raises(Conflict, match="slug 'printer-jams-2' exists"):
        kb.edit(articles, "printer-jams", {"slug": "printer-jams-2"})


def test_export_writes_markdown_with_front_matter(articles, tmp_path):
    written = kb.export(articles, tmp_path / "site")
    assert sorted(p.name for p in written) == sorted(
        [f"{kb.get(articles, str(i)).slug}.md" for i in (1, 2, 3)]
    )
    text = (tmp_path / "site" / "passwort-zurucksetzen.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Passwort zurücksetzen"\nslug: passwort-zurucksetzen\n')
    assert 'tags: ["account"]\ndraft: false\n' in text and text.endswith(
        "Öffnen Sie die **Einstellungen**.\n"
    )
    assert kb.export(articles, tmp_path / "site") == written  # the same again: nothing differs
    (tmp_path / "site" / "passwort-zurucksetzen.md").write_text("mine")
    with pytest.raises(Conflict, match="exists and differs"):
        kb.export(articles, tmp_path / "site")
    assert (tmp_path / "site" / "passwort-zurucksetzen.md").read_text() == "mine"
