"""CSV address books <-> contact records. No database, no UI.

Reading maps each column to a contact field by its header, through a *preset*: ``google`` (the current
Google Contacts layout and the legacy one), ``outlook`` (Outlook and Windows Contacts), ``thunderbird``, or
``generic`` (common names, tinycrm's own layout and vCard-style headers such as ``TEL;CELL``). Without a
preset the layout is recognised from the header. ``--map COLUMN=FIELD`` overrides single columns. Columns
that map to nothing keep their non-empty values as custom fields, so nothing is lost.

Files may be UTF-8 (with or without BOM), UTF-16 (with or without BOM), or a legacy encoding given with
``--encoding`` or recognised from the text (Shift_JIS, windows-1250...); the delimiter is a comma, semicolon
or tab, whichever the header uses. A file without a header line is recognised (its first line holds an email
address or a phone number) or declared (``--no-header``); its columns are numbered and guessed from what
they hold. Writing quotes every cell and neutralises what a spreadsheet would run as a formula, at the start
of a cell and after every delimiter, by putting a ``'`` in front; reading takes exactly those ``'`` away
again (:mod:`.cells`).

The package: :mod:`.cells` (formula neutralising), :mod:`.columns` (what a column maps to), :mod:`.presets`
(the import presets as tables of header rules, and the guess for a file without a header), :mod:`.reader` (a
file to rows), :mod:`.rows` (one handler per kind of target column, then the steps that make the contact),
:mod:`.writer` (the header and cells of each export preset).
"""

from tinycrm.formats.csvio.cells import neutralise, restore
from tinycrm.formats.csvio.columns import ADDRESS_PARTS, MAP_ALIASES, MULTI, SIMPLE, Target, parse_target
from tinycrm.formats.csvio.presets import (
    GENERIC,
    GOOGLE,
    OUTLOOK,
    PRESETS,
    RULES,
    THUNDERBIRD,
    detect,
    guess_columns,
    map_columns,
)
from tinycrm.formats.csvio.reader import CELL_LIMIT, CsvReader, open_text
from tinycrm.formats.csvio.rows import COLUMNS, NOISE, NOISE_BY_COLUMN, RowBuilder, convert_row
from tinycrm.formats.csvio.writer import (
    EXPORT_PRESETS,
    EXPORTS,
    ExportPreset,
    Layout,
    header,
    row,
    write_csv,
    writer_for,
)

__all__ = [
    "ADDRESS_PARTS",
    "CELL_LIMIT",
    "COLUMNS",
    "EXPORTS",
    "EXPORT_PRESETS",
    "GENERIC",
    "GOOGLE",
    "MAP_ALIASES",
    "MULTI",
    "NOISE",
    "NOISE_BY_COLUMN",
    "OUTLOOK",
    "PRESETS",
    "RULES",
    "SIMPLE",
    "THUNDERBIRD",
    "CsvReader",
    "ExportPreset",
    "Layout",
    "RowBuilder",
    "Target",
    "convert_row",
    "detect",
    "guess_columns",
    "header",
    "map_columns",
    "neutralise",
    "open_text",
    "parse_target",
    "restore",
    "row",
    "write_csv",
    "writer_for",
]
