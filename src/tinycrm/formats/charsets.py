"""Which legacy encoding undeclared 8-bit text is in (a Shift_JIS CSV, a Polish vCard without ``CHARSET``).

Used only when the data is not UTF-8 and says nothing itself, in this order:

1. what the rest of the file declares: the ``CHARSET`` of its other values (a vCard), when the undeclared
   bytes are text in it;
2. the language the file gives (vCard ``LANGUAGE=pl``, ``LANG:pl``) and its usual code page;
3. the text itself: every candidate encoding that decodes the bytes (charset-normalizer's, and the code
   pages address books are written in) is scored on how a person would read the result, and the best wins.
   A word mixing scripts (``Ð¡Ð°``), a symbol inside a word (``£ukasz``), letters no one language has
   together, or spelling no language allows (Spanish ``ñ`` before a consonant, Polish ``ń`` before a vowel)
   count against it; words one language (or one script) explains, and one language explaining them all,
   count for it; in an East Asian encoding, characters few texts use count against it (the wrong one reads
   Japanese as rare Hangul). Ties go to charset-normalizer's order (its language models), then to the
   commonest code page.

charset-normalizer is imported only here, when a file needs it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: code pages address books are written in, commonest first (the last tie-breaker)
CANDIDATES = (
    "cp1252",
    "cp1250",
    "cp1251",
    "cp932",
    "koi8_r",
    "gb18030",
    "big5",
    "cp949",
    "euc_jp",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp1255",
    "cp1256",
    "cp874",
    "koi8_u",
    "iso8859_2",
    "iso8859_15",
)
_MULTIBYTE = {"cp932", "gb18030", "big5", "cp949", "euc_jp", "shift_jis", "euc_kr", "gbk"}
#: the usual legacy code page of a language (a LANGUAGE parameter, a LANG property)
BY_LANGUAGE = {
    **dict.fromkeys(("pl", "cs", "sk", "hu", "sl", "hr", "bs", "ro", "sq"), "cp1250"),
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "sr"), "cp1251"),
    **dict.fromkeys(("lt", "lv", "et"), "cp1257"),
    "el": "cp1253",
    "tr": "cp1254",
    "he": "cp1255",
    "ar": "cp1256",
    "fa": "cp1256",
    "th": "cp874",
    "ja": "cp932",
    "zh": "gb18030",
    "zh-tw": "big5",
    "zh-hk": "big5",
    "ko": "cp949",
    **dict.fromkeys(
        ("en", "de", "fr", "es", "pt", "it", "nl", "da", "no", "nb", "sv", "fi", "is", "ca"), "cp1252"
    ),
}
#: the letters beyond a-z of the languages written in Latin script (lower case)
ALPHABETS = {
    "German": "äöüß",
    "French": "àâæçéèêëîïôœùûüÿ",
    "Spanish": "áéíñóúü",
    "Portuguese": "áâãàçéêíóôõú",
    "Italian": "àèéìíîòóùú",
    "Catalan": "àçéèíïòóúü",
    "Dutch": "éëïóöü",
    "Danish/Norwegian": "æøåé",
    "Swedish/Finnish": "åäöéšž",
    "Icelandic": "áéíóúýþðæö",
    "Polish": "ąćęłńóśźż",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Hungarian": "áéíóöőúüű",
    "Romanian": "ăâîșțşţ",
    "Croatian/Slovene": "čćđšž",
    "Lithuanian": "ąčęėįšųūž",
    "Latvian": "āčēģīķļņšūž",
    "Estonian": "äöõüšž",
    "Turkish": "çğıöşüâîİ",
    "Albanian": "ëç",
}
_VOWELS = set("aeiouyáéíóúýąęóàèìòùâêîôûäëïöüåæøœ")
#: words are what lies between blanks and ASCII punctuation
_WORDS = re.compile(r"[\s!-/:-@\[-`{-~]+")
_JAPANESE = {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC"}


@dataclass(frozen=True, slots=True)
class Guess:
    """The encoding chosen for undeclared 8-bit text; ``why`` says how (for the import report); ``sure`` is
    False when another encoding would have read the text just as well, or nothing read it well."""

    encoding: str
    why: str
    sure: bool = True


def _script(ch: str) -> str:
    word = unicodedata.name(ch, "").split(" ", 1)[0]
    return "JAPANESE" if word in _JAPANESE else word


def _cjk_mark(ch: str) -> bool:
    """CJK punctuation and fullwidth forms, which stand between the letters of Japanese and Chinese text."""
    return "\u3000" <= ch <= "\u303f" or ch == "\u30fb" or "\uff00" <= ch <= "\uffef"


def _letters_of(word: str) -> tuple[set[str], int]:
    """The non-ASCII letters of a word, and how many of its characters say it is garbled: a symbol or a
    control character anywhere, punctuation or a digit sign (``¹``) between its letters."""
    extra: set[str] = set()
    bad = marks = 0
    last = len(word) - 1
    for i, ch in enumerate(word):
        if ch.isascii():
            continue
        cat = unicodedata.category(ch)
        if cat[0] == "L":
            low = ch.lower()
            extra.add(low if len(low) == 1 else ch)  # "İ".lower() is "i" and a combining dot
            if cat == "Lu" and 0 < i and word[i - 1].islower():
                bad += 1  # a capital after a small letter: KOI8-R read as windows-1251 ("еПЛНКНБ")
        elif cat[0] == "M":
            marks += 1
        elif _cjk_mark(ch):
            continue
        elif cat[0] in "SC" or (cat[0] == "P" or cat == "No") and 0 < i < last:
            bad += 1
    if marks * 2 > len(extra):
        bad += 1  # more combining marks than a language puts on its letters
    return extra, bad


def _explains(extra: set[str], latin: bool) -> set[str]:
    """The languages (or, for other scripts, the one script) that have all these letters (``latin``: the
    word has letters a-z too)."""
    scripts = {_script(ch) for ch in extra} | ({"LATIN"} if latin else set())
    if scripts != {"LATIN"}:
        return scripts if len(scripts) == 1 else set()
    return {lang for lang, letters in ALPHABETS.items() if extra <= set(letters)}


def _spelling_faults(word: str) -> int:
    """Letter pairs no language writes: Spanish ñ only before a vowel, Polish ń never before one."""
    faults = 0
    for i, ch in enumerate(word):
        after = word[i + 1 : i + 2]
        if ch == "ñ" and after not in _VOWELS:
            faults += 1
        elif ch == "ń" and after in _VOWELS and after != "":
            faults += 1
    return faults


def _encodes(ch: str, encoding: str) -> bytes | None:
    try:
        return ch.encode(encoding)
    except UnicodeEncodeError:
        return None


def _rare(ch: str, encoding: str) -> bool:
    """A character few texts use, as ``encoding`` sees it: a Hangul syllable outside KS X 1001, a Chinese
    character outside GB 2312 or Big5's first level, a kanji outside JIS X 0208's first level. Text read in
    the wrong East Asian encoding is made of these."""
    if encoding == "cp949":  # EUC-KR writes a syllable outside KS X 1001 as 8 bytes that make it up
        return "\uac00" <= ch <= "\ud7a3" and len(_encodes(ch, "euc_kr") or b"") != 2
    if not unicodedata.name(ch, "").startswith("CJK UNIFIED"):
        return False
    if encoding == "gb18030":
        code = _encodes(ch, "gb2312")
        return code is None or code[0] >= 0xD8  # GB 2312's second level
    if encoding == "big5":
        code = _encodes(ch, "big5")
        return code is None or code >= b"\xc9\x40"
    if encoding in ("cp932", "euc_jp"):
        code = _encodes(ch, "shift_jis")
        return code is None or code >= b"\x98\x73"
    return False


def rare_characters(text: str, encoding: str) -> int:
    """How many characters of ``text`` read in the East Asian ``encoding`` are rare ones (see :func:`_rare`)."""
    if encoding not in _MULTIBYTE:
        return 0
    return sum(1 for ch in text if ord(ch) >= 0x3000 and _rare(ch, encoding))


def score(text: str) -> int:
    """How well a person reads ``text``: higher is better (see the module's description)."""
    total = 0
    langs: Counter[str] = Counter()
    latin_words = 0
    for word in _WORDS.split(text):
        if word.isascii():
            continue
        extra, bad = _letters_of(word)
        total -= 3 * bad
        if not extra:
            continue
        who = _explains(extra, any("a" <= c <= "z" or "A" <= c <= "Z" for c in word))
        if not who:
            total -= 2
            continue
        total += 1 - 2 * _spelling_faults(word.lower())
        if _script(next(iter(extra))) == "LATIN":
            latin_words += 1
            langs.update(who)
    if latin_words and langs.most_common(1)[0][1] == latin_words:
        total += 2  # one language explains every word
    return total


def _ranked_by_normalizer(sample: bytes) -> list[str]:
    from charset_normalizer import from_bytes

    try:
        matches = from_bytes(sample, cp_isolation=list(CANDIDATES), preemptive_behaviour=False)
    except Exception:  # noqa: BLE001 - a detector failing only means no ranking
        return []
    return [m.encoding for m in matches]


def _decodes(sample: bytes, encoding: str) -> str | None:
    try:
        return sample.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def guess(
    sample: bytes, *, declared: Iterable[str] = (), languages: Iterable[str] = (), default: str = "cp1252"
) -> Guess:
    """The encoding of ``sample`` (undeclared 8-bit bytes, with some ASCII around them for context)."""
    for charset, _ in Counter(c.lower() for c in declared if c).most_common():
        if charset.replace("-", "").replace("_", "") in ("utf8", "usascii", "ascii"):
            continue
        if _decodes(sample, charset) is not None:
            return Guess(charset, "as the file's other values declare")
    for lang in languages:
        lang = lang.lower()
        encoding = BY_LANGUAGE.get(lang) or BY_LANGUAGE.get(lang.split("-")[0])
        if encoding and _decodes(sample, encoding) is not None:
            return Guess(encoding, f"the usual encoding of the language the file gives ({lang})")
    ranked = _ranked_by_normalizer(sample)
    order = {enc: i for i, enc in enumerate(ranked)}
    scored = []
    seen: dict[str, str] = {}
    for n, encoding in enumerate(CANDIDATES):
        text = _decodes(sample, encoding)
        if text is None:
            continue
        if text in seen.values():
            continue  # reads the same as a commoner code page
        seen[encoding] = text
        # multi-byte encodings decode little by chance: their words count double
        weight = 2 if encoding in _MULTIBYTE else 1
        points = score(text) * weight - rare_characters(text, encoding)
        scored.append((points, -order.get(encoding, len(order) + n), -n, encoding))
    if not scored:
        return Guess(default, "no encoding reads the text; some characters may be wrong", sure=False)
    scored.sort(reverse=True)
    best = scored[0]
    sure = best[0] > 0 and (len(scored) == 1 or scored[1][0] < best[0])
    return Guess(best[3], "guessed from the text", sure=sure)
