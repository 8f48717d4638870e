"""Templates that users write: canned replies, campaign mails, sequence steps, page snippets.

One sandboxed Jinja2 environment (a template cannot reach Python internals: ``{{ ''.__class__ }}`` is refused),
strict about names (an unknown merge field is an error when the template is checked, before anything is sent),
and autoescaping off (mail text is plain; HTML is made from Markdown by :func:`markdown_html`, which escapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from tinycrm.domain.errors import InvalidInput

#: templates larger than this are refused (a mail body, not a book)
MAX_TEMPLATE_BYTES = 512 * 1024


@cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def render(source: str, variables: Mapping[str, Any], *, name: str = "template") -> str:
    """Render ``source`` with ``variables``; any problem is one :class:`InvalidInput` line naming ``name``."""
    import jinja2
    from jinja2.sandbox import SecurityError

    if len(source.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise InvalidInput(f"{name}: the template is larger than {MAX_TEMPLATE_BYTES // 1024} kB; shorten it")
    try:
        return str(_environment().from_string(source).render(**variables))
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(f"{name}, line {exc.lineno}: {exc.message}; fix the template") from None
    except jinja2.UndefinedError as exc:
        raise InvalidInput(
            f"{name}: {exc.message}; use a known field or give a default: |default(...)"
        ) from None
    except SecurityError as exc:
        raise InvalidInput(f"{name}: not allowed in a template: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise InvalidInput(f"{name}: {exc}") from None


def markdown_html(text: str) -> str:
    """Markdown to HTML. Raw HTML in the source is shown as text, never passed through."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text))
