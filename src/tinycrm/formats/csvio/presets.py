"""The import presets as data: for each layout (Google, Outlook, Thunderbird, generic), rules that map a
normalised header to a :class:`~.columns.Target`, either by its exact text or by a pattern (numbered columns
such as ``E-mail 2 - Value``). :func:`detect` recognises the layout of a header; :func:`map_columns` applies
a preset's rules."""

from __future__ import annotations

import re
from collections.abc import Callable

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats import fieldvalues
from tinycrm.formats.csvio.columns import Target, norm

PRESETS = ("google", "outlook", "thunderbird", "generic")

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], str], Target | None]]


def _fixed(mapping: dict[str, Target]) -> list[Rule]:
    return [(re.compile(re.escape(k) + r"\Z"), lambda m, h, t=t: t) for k, t in mapping.items()]


def _rx(pattern: str, make: Callable[[re.Match[str], str], Target | None]) -> Rule:
    return re.compile(pattern + r"\Z"), make


_ADR_WORDS = {
    "street": "street",
    "city": "locality",
    "po box": "po_box",
    "region": "region",
    "state": "region",
    "postal code": "postcode",
    "zip": "postcode",
    "zipcode": "postcode",
    "country": "country",
    "country/region": "country",
    "extended address": "extended",
    "formatted": "formatted",
    "label": "label",
    "type": "label",
    "street 2": "street2",
    "street 3": "street2",
    "address po box": "po_box",
    "address": "street",
    "address 2": "street2",
}
_FIELD_KINDS = {
    "website": "website",
    "relation": "relation",
    "event": "event",
    "im": "im",
    "custom field": None,
}


def _numbered(kind: str) -> Callable[[re.Match[str], str], Target | None]:
    def make(m: re.Match[str], header: str) -> Target | None:
        n, part = m.group(1), m.group(2)
        group = f"{kind} {n}"
        if part in ("label", "type"):
            return Target("label", group=group)
        if part == "value":
            return Target(kind, group=group)
        return None

    return make


def _address_numbered(m: re.Match[str], header: str) -> Target | None:
    part = _ADR_WORDS.get(m.group(2))
    return Target(part, group=f"address {m.group(1)}") if part else None


def _organization(m: re.Match[str], header: str) -> Target | None:
    if m.group(1) != "1":
        return None
    return {"name": Target("company"), "title": Target("title"), "department": Target("department")}.get(
        m.group(2)
    )


def _field_numbered(m: re.Match[str], header: str) -> Target | None:
    kind, n, part = m.group(1), m.group(2), m.group(3)
    group = f"{kind} {n}"
    if part in ("label", "type"):
        return Target("field_label", group=group, key=_FIELD_KINDS[kind])
    if part == "value":
        return Target("field_value", group=group, key=_FIELD_KINDS[kind])
    return Target("ignore")


GOOGLE: list[Rule] = [
    *_fixed(
        {
            "name": Target("name"),
            "given name": Target("given"),
            "first name": Target("given"),
            "additional name": Target("middle"),
            "middle name": Target("middle"),
            "family name": Target("family"),
            "last name": Target("family"),
            "name prefix": Target("prefix"),
            "name suffix": Target("suffix"),
            "nickname": Target("nickname"),
            "birthday": Target("birthday"),
            "notes": Target("notes"),
            "group membership": Target("tags"),
            "labels": Target("tags"),
            "organization name": Target("company"),
            "organization title": Target("title"),
            "organization department": Target("department"),
            "file as": Target("ignore"),
            "photo": Target("ignore"),
            "initials": Target("ignore"),
        }
    ),
    _rx(r"(?:e-mail|email) (\d+) - (label|type|value)", _numbered("email")),
    _rx(r"phone (\d+) - (label|type|value)", _numbered("phone")),
    _rx(r"address (\d+) - (.+)", _address_numbered),
    _rx(r"organi[sz]ation (\d+) - (name|title|department)", _organization),
    _rx(r"(website|relation|event|im|custom field) (\d+) - (label|type|value|service)", _field_numbered),
]

_OUTLOOK_PHONES = {
    "assistant's phone": "assistant",
    "business fax": "work fax",
    "business phone": "work",
    "business phone 2": "work",
    "callback": "callback",
    "car phone": "car",
    "company main phone": "main",
    "home fax": "home fax",
    "home phone": "home",
    "home phone 2": "home",
    "isdn": "isdn",
    "mobile phone": "mobile",
    "home mobile": "mobile",
    "other fax": "other fax",
    "other phone": "other",
    "pager": "pager",
    "primary phone": None,
    "radio phone": "radio",
    "tty/tdd phone": "tty",
    "telex": "telex",
    "phone video": "video",
}


def _outlook_address(m: re.Match[str], header: str) -> Target | None:
    where = {"business": "work", "work": "work", "home": "home", "other": "other"}[m.group(1)]
    part = _ADR_WORDS.get(m.group(2))
    return Target(part, group=f"address {where}", label=where) if part else None


OUTLOOK: list[Rule] = [
    *_fixed(
        {
            "title": Target("prefix"),
            "first name": Target("given"),
            "middle name": Target("middle"),
            "last name": Target("family"),
            "suffix": Target("suffix"),
            "nickname": Target("nickname"),
            "display name": Target("name"),
            "company": Target("company"),
            "department": Target("department"),
            "job title": Target("title"),
            "birthday": Target("birthday"),
            "categories": Target("tags"),
            "notes": Target("notes"),
            "initials": Target("ignore"),
            "e-mail type": Target("ignore"),
            "e-mail display name": Target("ignore"),
            "e-mail 2 type": Target("ignore"),
            "e-mail 2 display name": Target("ignore"),
            "e-mail 3 type": Target("ignore"),
            "e-mail 3 display name": Target("ignore"),
            "web page": Target("field", key="website"),
            "email home": Target("email", label="home"),
            "email work": Target("email", label="work"),
            "email other": Target("email", label="other"),
        }
    ),
    *_fixed({k: Target("phone", label=v) for k, v in _OUTLOOK_PHONES.items()}),
    _rx(r"e-mail(?: (\d))? address", lambda m, h: Target("email")),
    _rx(
        r"(business|work|home|other) (street(?: [23])?|city|state|postal code|zip|country(?:/region)?|"
        r"address po box|po box)",
        _outlook_address,
    ),
]

_JA_ADR = {
    "番地": "street",
    "市区町村": "locality",
    "都道府県": "region",
    "郵便番号": "postcode",
    "国": "country",
}
_JA_WHERE = {"自宅": "home", "勤務先": "work"}

THUNDERBIRD: list[Rule] = [
    *_fixed(
        {
            "first name": Target("given"),
            "last name": Target("family"),
            "display name": Target("name"),
            "nickname": Target("nickname"),
            "primary email": Target("email"),
            "secondary email": Target("email"),
            "work phone": Target("phone", label="work"),
            "home phone": Target("phone", label="home"),
            "fax number": Target("phone", label="fax"),
            "pager number": Target("phone", label="pager"),
            "mobile number": Target("phone", label="mobile"),
            "job title": Target("title"),
            "department": Target("department"),
            "organization": Target("company"),
            "web page 1": Target("field", key="website"),
            "web page 2": Target("field", key="website 2"),
            "birth year": Target("birth_year"),
            "birth month": Target("birth_month"),
            "birth day": Target("birth_day"),
            "notes": Target("notes"),
        }
    ),
    _rx(
        r"(home|work) (address|address 2|city|state|zipcode|country)",
        lambda m, h: Target(_ADR_WORDS[m.group(2)], group=f"address {m.group(1)}", label=m.group(1)),
    ),
    # Thunderbird in Japanese names its columns in Japanese
    *_fixed(
        {
            "名": Target("given"),
            "姓": Target("family"),
            "表示名": Target("name"),
            "ニックネーム": Target("nickname"),
            "メールアドレス": Target("email"),
            "別のメールアドレス": Target("email"),
            "勤務先の電話番号": Target("phone", label="work"),
            "自宅の電話番号": Target("phone", label="home"),
            "fax 番号": Target("phone", label="fax"),
            "ポケットベル番号": Target("phone", label="pager"),
            "携帯電話番号": Target("phone", label="mobile"),
            "役職": Target("title"),
            "部門": Target("department"),
            "組織": Target("company"),
            "web ページ 1": Target("field", key="website"),
            "web ページ 2": Target("field", key="website 2"),
            "誕生年": Target("birth_year"),
            "誕生月": Target("birth_month"),
            "誕生日": Target("birth_day"),
            "メモ": Target("notes"),
        }
    ),
    _rx(
        r"(番地|市区町村|都道府県|郵便番号|国) \((自宅|勤務先)\)( 2)?",
        lambda m, h: Target(
            "street2" if m.group(3) else _JA_ADR[m.group(1)],
            group=f"address {_JA_WHERE[m.group(2)]}",
            label=_JA_WHERE[m.group(2)],
        ),
    ),
]


def _general(where: str, what: str) -> Target:
    place = {"general": None, "business": "work"}.get(where, where)
    if what in ("email", "e-mail"):
        return Target("email", label=place)
    if what == "mobile":
        return Target("phone", label="mobile")
    if what == "fax":
        return Target("phone", label=f"{place} fax" if place else "fax")
    return Target("phone", label=place)


_VCARD_HEADER = r"(fn|n|tel|email|adr|org|title|role|note|bday|categories|nickname|uid)((?:;[^;]*)*)"


def _vcard_header(m: re.Match[str], header: str) -> Target | None:
    name, params = m.group(1), [p for p in m.group(2).split(";") if p]
    types = []
    for p in params:
        for t in p.split("=", 1)[-1].split(","):
            t = t.strip().lower()
            if t and t not in ("internet", "pref", "voice", "x400"):
                types.append("mobile" if t == "cell" else t)
    label = " ".join(types) or None
    simple = {
        "fn": "name",
        "org": "company",
        "title": "title",
        "role": "role",
        "note": "notes",
        "bday": "birthday",
        "categories": "tags",
        "nickname": "nickname",
        "uid": "uid",
    }
    if name in simple:
        return Target(simple[name])
    if name == "n":
        return Target("vcard_n")
    if name == "adr":
        return Target("vcard_adr", label=label)
    return Target("email" if name == "email" else "phone", label=label)


GENERIC: list[Rule] = [
    *_fixed(
        {
            "uid": Target("uid"),
            "name": Target("name"),
            "full name": Target("name"),
            "display name": Target("name"),
            "contact name": Target("name"),
            "given name": Target("given"),
            "first name": Target("given"),
            "firstname": Target("given"),
            "forename": Target("given"),
            "middle name": Target("middle"),
            "family name": Target("family"),
            "last name": Target("family"),
            "lastname": Target("family"),
            "surname": Target("family"),
            "nickname": Target("nickname"),
            "company": Target("company"),
            "organization": Target("company"),
            "organisation": Target("company"),
            "company name": Target("company"),
            "employer": Target("company"),
            "department": Target("department"),
            "job title": Target("title"),
            "title": Target("title"),
            "position": Target("title"),
            "role": Target("role"),
            "birthday": Target("birthday"),
            "date of birth": Target("birthday"),
            "dob": Target("birthday"),
            "notes": Target("notes"),
            "note": Target("notes"),
            "comments": Target("notes"),
            "comment": Target("notes"),
            "tags": Target("tags"),
            "labels": Target("tags"),
            "categories": Target("tags"),
            "groups": Target("tags"),
            "group": Target("tags"),
            "cadence days": Target("cadence"),
            "archived": Target("archived"),
            "email": Target("email"),
            "e-mail": Target("email"),
            "mail": Target("email"),
            "email address": Target("email"),
            "e-mail address": Target("email"),
            "phone": Target("phone"),
            "telephone": Target("phone"),
            "tel": Target("phone"),
            "phone number": Target("phone"),
            "mobile": Target("phone", label="mobile"),
            "cell": Target("phone", label="mobile"),
            "mobile phone": Target("phone", label="mobile"),
            "cell phone": Target("phone", label="mobile"),
            "fax": Target("phone", label="fax"),
            "street": Target("street", group="address"),
            "address": Target("street", group="address"),
            "city": Target("locality", group="address"),
            "town": Target("locality", group="address"),
            "state": Target("region", group="address"),
            "region": Target("region", group="address"),
            "province": Target("region", group="address"),
            "zip": Target("postcode", group="address"),
            "zip code": Target("postcode", group="address"),
            "postcode": Target("postcode", group="address"),
            "postal code": Target("postcode", group="address"),
            "country": Target("country", group="address"),
            "website": Target("field", key="website"),
            "web page": Target("field", key="website"),
            "url": Target("field", key="website"),
            "version": Target("ignore"),
            "unknown": Target("ignore"),
        }
    ),
    _rx(
        r"(home|work|business|other|private|personal) e-?mail",
        lambda m, h: Target(
            "email",
            label={"business": "work", "private": "home", "personal": "home"}.get(m.group(1), m.group(1)),
        ),
    ),
    _rx(
        r"(home|work|business|office|other|private) (?:phone|telephone|tel)",
        lambda m, h: Target(
            "phone",
            label={"business": "work", "office": "work", "private": "home"}.get(m.group(1), m.group(1)),
        ),
    ),
    # phones' own exports ("General mobile", "Business email", "Home street"...)
    _rx(r"(general|home|business) (mobile|phone|fax|e-?mail)", lambda m, h: _general(m.group(1), m.group(2))),
    _rx(
        r"(general|home|business) (street|city|state/province|postal/zip code|country/region|country/retion|"
        r"p\.o\.box|extension)",
        lambda m, h: Target(
            {
                "street": "street",
                "city": "locality",
                "state/province": "region",
                "postal/zip code": "postcode",
                "p.o.box": "po_box",
                "extension": "extended",
            }.get(m.group(2), "country"),
            group=f"address {m.group(1)}",
            label={"general": None, "business": "work"}.get(m.group(1), m.group(1)),
        ),
    ),
    _rx(r"field: ?(.+)", lambda m, h: Target("field", key=h.split(":", 1)[1].strip())),
    _rx(_VCARD_HEADER, _vcard_header),
    *GOOGLE,
    *OUTLOOK,
    *THUNDERBIRD,
]

RULES = {
    "google": GOOGLE + GENERIC,
    "outlook": OUTLOOK + GENERIC,
    "thunderbird": THUNDERBIRD + GENERIC,
    "generic": GENERIC,
}


def detect(headers: list[str]) -> str:
    """The preset whose layout this header is."""
    h = {norm(x) for x in headers}
    if "e-mail 1 - value" in h or "group membership" in h or "labels" in h and "first name" in h:
        return "google"
    if "primary email" in h and "display name" in h or "メールアドレス" in h and "表示名" in h:
        return "thunderbird"
    if h & {"e-mail address", "business phone", "mobile phone", "home street", "business street"}:
        return "outlook"
    return "generic"


def map_columns(headers: list[str], preset: str) -> list[Target | None]:
    """The target of each column (None: it becomes a custom field when it holds something)."""
    rules = RULES[preset]
    out: list[Target | None] = []
    for header in headers:
        text = norm(header)
        target = None
        for pattern, make in rules:
            m = pattern.match(text)
            if m:
                target = make(m, header.replace("\ufeff", "").strip())
                if target is not None:
                    break
        out.append(target)
    return out


# --- a file without a header line -----------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}/\d{1,2}/\d{1,2}")


def _is(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except InvalidInput:
        return False
    return True


def _phone(value: str) -> bool:
    return sum(ch.isdigit() for ch in value) >= 6 and _is(fieldvalues.phone, value)


def guess_columns(rows: list[list[str]], width: int | None = None) -> list[Target | None]:
    """What each column of a file without a header line holds, by the values of its first ``rows``: email
    addresses, phone numbers or birthdays (at least half of its values), else the first column of words is
    the name; None for the others (custom fields)."""
    width = width if width is not None else max((len(r) for r in rows), default=0)
    out: list[Target | None] = []
    named = False
    for i in range(width):
        values = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
        target = None
        if not values:
            pass
        elif 2 * sum(_is(fieldvalues.email, x) for x in values) >= len(values):
            target = Target("email")
        elif 2 * sum(_phone(x) for x in values) >= len(values):
            target = Target("phone")
        elif 2 * sum(bool(_DATE.fullmatch(x)) for x in values) >= len(values):
            target = Target("birthday")
        elif not named and all(any(ch.isalpha() for ch in x) for x in values):
            target, named = Target("name"), True
        out.append(target)
    return out
