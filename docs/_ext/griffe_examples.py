"""Renders the ``>>>`` examples of kreg's docstrings as code in the API pages.

kreg's docstrings follow Keras: an ``Example:`` line, then ``>>>`` lines at
the same indentation. Griffe's Google parser reads that as prose (an output
line such as ``[0.0, 0.5]`` would even become a link), so every run of lines
from a ``>>>`` line to the next blank line is fenced as a console session.
"""

import re

import griffe

_SESSION = re.compile(r"(?m)^([ \t]*)(>>> .*(?:\n\1(?!\s*$).*)*)")


def _fence(match: re.Match) -> str:
    indent, body = match.group(1), match.group(2)
    return f"{indent}```pycon\n{indent}{body}\n{indent}```"


class ExampleSections(griffe.Extension):
    def on_object(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None and ">>> " in obj.docstring.value:
            obj.docstring.value = _SESSION.sub(_fence, obj.docstring.value)
