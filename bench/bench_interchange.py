"""Interchange speed, run by hand: ``python bench/bench_interchange.py [--n 10000] [--db URL]``.

Generates N contacts (``services.demo.people``), writes them as one vCard 3.0 file, then measures in one run:

* import: ``crm import vcard`` (tinycrm's reader + storing into an empty database) against
  ``vobject.readComponents`` parsing the same text (parsing only, nothing stored); target ratio <= 1.2;
* export: ``crm export vcard`` of the N contacts (reading them back from the database + writing) against
  vobject's ``serialize()`` of the same cards (already parsed); target ratio <= 1.2.

Without ``--db`` a SQLite file in a temporary folder is used; ``--db postgresql+psycopg://...`` names an empty
PostgreSQL database to use (its contacts are deleted first).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of contacts (default 10000)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tinycrm-bench-"))
    os.environ.setdefault("TINYCRM_HOME", str(work / "home"))
    os.environ.setdefault("TINYCRM_USER", "bench")
    (work / "home").mkdir(exist_ok=True)

    import vobject

    from tinycrm.formats.records import ContactData
    from tinycrm.formats.vcard import write_card
    from tinycrm.services import demo
    from tinycrm.services.interchange.exporting import export_vcards
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import import_vcards
    from tinycrm.store.database import open_db

    # the file: demo people as vCard 3.0 (no database involved)
    cards = []
    for i, p in enumerate(demo.people(args.n, seed=11)):
        cards.append(
            write_card(
                ContactData(
                    uid=f"bench-{i}",
                    display_name=p.display_name or "",
                    given_name=p.given_name,
                    family_name=p.family_name,
                    job_title=p.job_title,
                    company=p.company,
                    company_role=p.company_role,
                    birthday=p.birthday,
                    notes=p.notes,
                    emails=p.emails,
                    phones=p.phones,
                    addresses=p.addresses,
                    tags=p.tags,
                    fields=p.fields,
                    cadence_days=p.cadence_days,
                )
            )
        )
    text = "".join(cards)
    src = work / "contacts.vcf"
    src.write_text(text, encoding="utf-8", newline="")
    print(f"{args.n} cards, {len(text.encode()) / 1e6:.1f} MB: {src}")

    url = args.db or f"sqlite:///{work / 'bench.sqlite3'}"
    db = open_db(url)
    if args.db:
        with db.write() as tx:
            tx.execute("DELETE FROM contacts")
            tx.execute("DELETE FROM companies")

    # vobject alone: parse, then serialise the parsed cards (then let them go, so that the thousands of
    # objects
    # they hold do not slow down the collector during tinycrm's runs)
    t0 = time.perf_counter()
    parsed = list(vobject.readComponents(text))
    t_vobject_parse = time.perf_counter() - t0
    assert len(parsed) == args.n
    t0 = time.perf_counter()
    for card in parsed:
        card.serialize()
    t_vobject_ser = time.perf_counter() - t0
    del parsed
    gc.collect()

    # tinycrm: import into the empty database, then export everything
    t0 = time.perf_counter()
    report = import_vcards(db, sources([str(src)], None, suffixes=(".vcf",)))
    t_import = time.perf_counter() - t0
    assert report.created == args.n, report.summary()

    out = work / "export.vcf"
    t0 = time.perf_counter()
    exported = export_vcards(db, out)
    t_export = time.perf_counter() - t0
    assert exported.written == args.n

    # re-import of the same file: everything unchanged
    t0 = time.perf_counter()
    again = import_vcards(db, sources([str(src)], None, suffixes=(".vcf",)))
    t_again = time.perf_counter() - t0
    assert again.unchanged == args.n, again.summary()
    db.close()

    store = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"store: {store}")
    print(f"vobject.readComponents        {t_vobject_parse:7.2f} s")
    print(
        f"crm import vcard (new db)     {t_import:7.2f} s   ratio {t_import / t_vobject_parse:.2f}"
        "  (target <= 1.2)"
    )
    print(
        f"crm import vcard (re-import)  {t_again:7.2f} s   ratio {t_again / t_vobject_parse:.2f}"
        "  (all unchanged)"
    )
    print(f"vobject serialize()           {t_vobject_ser:7.2f} s")
    print(
        f"crm export vcard              {t_export:7.2f} s   ratio {t_export / t_vobject_ser:.2f}"
        "  (target <= 1.2)"
    )
    ok = t_import <= 1.2 * t_vobject_parse and t_export <= 1.2 * t_vobject_ser
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
