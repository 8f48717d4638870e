"""The first things a user does, on both stores."""


def test_add_search_show_log(cli):
    r = cli("add-contact", "Zoë Müller", "--email", "work:zoe@acme.com", "--company", "Acme", "--tag", "vip")
    assert r.exit_code == 0, r.stderr
    cid = int(r.stdout)
    r = cli("search", "muller", "--json")
    assert [c["id"] for c in r.json] == [cid]
    r = cli("log", "zoe@acme.com", "--kind", "call", "--summary", "Intro", "--when", "yesterday 15:00")
    assert r.exit_code == 0, r.stderr
    r = cli("timeline", "Zoë", "--json")
    assert [i["summary"] for i in r.json] == ["Intro"]
    r = cli("contact", "show", str(cid), "--json")
    assert r.json["company"]["name"] == "Acme"
    assert r.json["tags"] == ["vip"]
