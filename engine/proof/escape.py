"""One escaping layer per output format, so that no stored string can act as markup or terminal control.

Names, sources and explanations come from evidence and rulebooks that anyone may have written. Every
renderer passes them through the function of its format before output:

- `visible`   terminal text: control, format (bidi, zero-width), separator and other invisible code
              points become escapes such as `\\x1b`, `\\u202e`, so a name cannot clear the screen, set a
              window title or masquerade as another name;
- `markdown`  Markdown text outside code: `visible`, then HTML entities for `<`, `>`, `&` and backslash
              escapes for Markdown punctuation;
- `html`      HTML text and attribute values: `visible`, then HTML entities;
- `dot_string` a quoted DOT string (graph labels, tooltips): `visible`, backslashes doubled, and never
              read as an HTML-like label;
- `json_text` JSON text: invisible code points as `\\uXXXX` escapes (still valid JSON, same value).
"""

from __future__ import annotations

import html as _html
import re
import unicodedata

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"}
# default-ignorable code points that are not format characters, and letters that draw as blank space
_INVISIBLE_RANGES = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2065, 0x2065),
                     (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
                     (0xE0000, 0xE0FFF))
_NON_ASCII_OR_CONTROL = re.compile(r"[^\x20-\x7e]")
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]#|~])")


def invisible(ch: str) -> bool:
    """True for a code point that does not show as itself: controls, format characters (bidi overrides,
    zero-width), separators other than the ASCII space, surrogates, noncharacters, default-ignorables."""
    cp = ord(ch)
    if cp < 0x80:
        return cp < 0x20 or cp == 0x7F
    if (cp & 0xFFFE) == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF:
        return True
    if any(lo <= cp <= hi for lo, hi in _INVISIBLE_RANGES):
        return True
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _escape(ch: str) -> str:
    cp = ord(ch)
    if ch in _SHORT:
        return _SHORT[ch]
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def visible(text: str) -> str:
    """`text` with every invisible code point written as a Python-style escape (`\\x1b`, `\\u202e`,
    `\\U000e0041`); everything else, backslashes included, unchanged."""
    return _NON_ASCII_OR_CONTROL.sub(lambda m: _escape(m[0]) if invisible(m[0]) else m[0], text)


def html(text: str) -> str:
    """Text safe in HTML element content and quoted attribute values, invisible code points shown."""
    return _html.escape(visible(str(text)), quote=True)


def markdown(text: str) -> str:
    """Text safe in Markdown outside code spans: no raw `<`, no emphasis, link, table or heading markup."""
    escaped = _html.escape(visible(str(text)), quote=False)
    return _MD_PUNCTUATION.sub(r"\\\1", escaped)


def dot_string(text: str) -> str:
    """A value for a quoted DOT attribute (label, tooltip): shown as written, never as an HTML-like label."""
    from graphviz import nohtml  # here: the text renderer shares this module and needs no graphviz

    return nohtml(visible(str(text)).replace("\\", "\\\\"))


def _json_escape(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_text(text: str) -> str:
    """JSON text (from json.dumps) with invisible code points inside its strings written as `\\uXXXX`
    escapes: the same JSON value, safe to print on a terminal."""
    return _NON_ASCII_OR_CONTROL.sub(lambda m: _json_escape(m[0]) if invisible(m[0]) and m[0] != "\n"
                                     else m[0], text)
