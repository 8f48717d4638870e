"""vCard 2.1, 3.0 and 4.0 <-> contact records. No database, no UI.

**Reading** is a tolerant line parser of its own, working on bytes, because what real clients write breaks
strict parsers (vobject 0.9.9 fails on a third of a typical collection):

* the file's encoding: a BOM (UTF-8, UTF-16, UTF-32), UTF-16 without a BOM (found by its NUL bytes), otherwise
  bytes, decoded value by value: UTF-8 when the bytes are UTF-8, else the property's ``CHARSET`` (Shift_JIS,
  KOI8-R, windows-1252...), else the file's legacy encoding (``--encoding``, or found from the other values'
  charsets, the language given and the text: :mod:`tinycrm.formats.charsets`), else windows-1252;
* line ends ``LF``, ``CRLF``, ``CR CR LF`` (iOS) and ``CR``; folded lines are joined as bytes, so a multi-byte
  character split by the folding survives;
* quoted-printable values with soft line breaks (``=`` at the end of a line), with or without ``CHARSET``;
  2.1 BASE64 blocks that are not indented; 2.1 bare parameters (``TEL;WORK;VOICE``);
* Apple ``itemN.`` groups: ``itemN.X-ABLabel`` gives the label of the email, phone or address in its group;
* a line that cannot be read is skipped with a warning; a card that cannot be read (not closed, no name
  at all...) becomes an error for that card only, and reading goes on with the next one: a ``BEGIN:VCARD``
  inside a card is a nested card only right after an empty 2.1 ``AGENT:``.

Every property tinycrm has no column for (``X-...``, ``URL``, ``NICKNAME``, ``IMPP``, a second ``ORG``...) is
kept as an :class:`~tinycrm.formats.records.Extra` and written back on export, as are the parts of ``N`` and
``ORG`` that have no column (prefix, suffix, department): see docs/formats.md.

**Writing** produces vCard 3.0 (RFC 2426) or 4.0 (RFC 6350) text directly (vobject only writes 3.0, and
breaks on data-URI photos): lines folded at 75 octets, CRLF line ends.

The package: :mod:`.lines` (content lines, escaping), :mod:`.reader` (a stream to cards), :mod:`.properties`
(one handler per property, in a table keyed by property name), :mod:`.values` (decoding values, labels,
birthdays, photos), :mod:`.writer` (one writer per property or family, in card order).
"""

from tinycrm.formats.encoding import decode_text, sniff_encoding
from tinycrm.formats.vcard.lines import Prop, escape, parse_line, split_escaped, unescape
from tinycrm.formats.vcard.properties import PROPERTIES, CardBuilder, convert
from tinycrm.formats.vcard.reader import VCardReader, read_text, read_vcards
from tinycrm.formats.vcard.values import apple_label, data_uri, parse_bday
from tinycrm.formats.vcard.writer import PRODID, VERSIONS, fold, write_card

__all__ = [
    "PRODID",
    "PROPERTIES",
    "VERSIONS",
    "CardBuilder",
    "Prop",
    "VCardReader",
    "apple_label",
    "convert",
    "data_uri",
    "decode_text",
    "escape",
    "fold",
    "parse_bday",
    "parse_line",
    "read_text",
    "read_vcards",
    "sniff_encoding",
    "split_escaped",
    "unescape",
    "write_card",
]
