"""Rate limits counted in the database (tinycrm.services.ratelimit), on both stores: what several server
processes share."""

from __future__ import annotations

import threading

from tinycrm.services import ratelimit
from tinycrm.services.ratelimit import Limit

T0 = 1_800_000_000.0  # a moment at the start of a 60-second window (divisible by 60)


def test_a_key_gets_its_tries_then_waits_and_other_keys_are_apart(db):
    limit = Limit("signin", tries=3, seconds=60)
    assert [ratelimit.hit(db, limit, "192.0.2.1", at=T0 + i) for i in range(3)] == [0, 0, 0]
    wait = ratelimit.hit(db, limit, "192.0.2.1", at=T0 + 3)
    assert 0 < wait <= 117  # the three leave the sliding window by T0 + 120 at the latest
    assert ratelimit.hit(db, limit, "192.0.2.2", at=T0 + 3) == 0  # another address is counted apart
    assert ratelimit.hit(db, Limit("portal", 3, 60), "192.0.2.1", at=T0 + 3) == 0  # another bucket too


def test_a_refused_try_is_not_counted_and_the_window_slides(db):
    limit = Limit("signin", tries=2, seconds=60)
    assert ratelimit.hit(db, limit, "a", at=T0 + 50) == 0
    assert ratelimit.hit(db, limit, "a", at=T0 + 55) == 0
    assert ratelimit.hit(db, limit, "a", at=T0 + 58) > 0
    # just after the window turns the two still count (most of them lie within the last minute)
    assert ratelimit.hit(db, limit, "a", at=T0 + 61) > 0
    # 3/4 into the next window a quarter of the earlier one is left: ceil(2 * 0.25) = 1, one more fits
    assert ratelimit.hit(db, limit, "a", at=T0 + 60 + 45) == 0
    assert ratelimit.hit(db, limit, "a", at=T0 + 60 + 46) > 0
    # two windows on, nothing is left
    assert ratelimit.hit(db, limit, "a", at=T0 + 180) == 0


def test_the_wait_given_is_when_a_try_fits_again(db):
    limit = Limit("signin", tries=2, seconds=60)
    ratelimit.hit(db, limit, "b", at=T0 + 10)
    ratelimit.hit(db, limit, "b", at=T0 + 20)
    wait = ratelimit.hit(db, limit, "b", at=T0 + 30)
    assert ratelimit.hit(db, limit, "b", at=T0 + 30 + wait - 2) > 0
    assert ratelimit.hit(db, limit, "b", at=T0 + 30 + wait) == 0


def test_rows_that_count_for_nothing_are_deleted(db):
    limit = Limit("signin", tries=5, seconds=60)
    for i in range(20):
        ratelimit.hit(db, limit, f"198.51.100.{i}", at=T0)
    ratelimit.hit(db, limit, "198.51.100.99", at=T0 + 600)
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM rate_limit_hits") == 1


def test_processes_at_once_never_take_more_than_the_tries(store_url, db):
    """Four connections (as four server processes would have) hitting one key at once: exactly the tries
    pass."""
    from tinycrm.store.database import open_db

    url = db.url
    limit = Limit("signin", tries=10, seconds=3600)
    passed: list[int] = []
    barrier = threading.Barrier(4)

    def client() -> None:
        own = open_db(url)
        try:
            barrier.wait()
            for _ in range(8):
                passed.append(ratelimit.hit(own, limit, "203.0.113.7", at=T0 + 1))
        finally:
            own.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert passed.count(0) == 10 and len(passed) == 32


def test_web_form_posts_at_once_from_one_address_never_pass_the_limit(db):
    """The form limit (tinycrm.services.forms) counts then adds in one transaction: server processes posting
    at once for one address still let exactly LIMIT posts through."""
    from tinycrm.services import forms
    from tinycrm.store.database import open_db

    form = forms.add_form(db, "Flood", ["email"])
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def client(n: int) -> None:
        own = open_db(db.url)
        try:
            barrier.wait()
            for i in range(3):
                try:
                    forms.submit(own, form.key, {"email": f"p{n}-{i}@example.com"}, "192.0.2.99")
                    outcomes.append("ok")
                except forms.TooManyPosts:
                    outcomes.append("refused")
        finally:
            own.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == forms.LIMIT and len(outcomes) == 12
