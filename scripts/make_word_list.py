"""Regenerate dataraum_assets/vocabularies/english_words.txt, the dictionary that decides
whether a column-name token is a full English word (semantic_annotations' naming clarity).

Source: SCOWL (Spell Checker Oriented Word Lists, Kevin Atkinson) at size 35 ("small"), as
Debian ships it in the package ``wamerican-small`` (``/usr/share/dict/american-english-small``):
``apt-get install wamerican-small``, then ``python scripts/make_word_list.py``. Kept: entries of
lowercase ASCII letters only (no proper nouns, no possessives), at least two letters long, plus
"a" and "i". SCOWL's permission notice is copied into the file's header, as its licence asks.
"""

import argparse
import re
import sys
from pathlib import Path

DEFAULT_SOURCE = Path("/usr/share/dict/american-english-small")
TARGET = Path(__file__).resolve().parent.parent / "dataraum_assets/vocabularies/english_words.txt"
HEADER = """\
# English words: SCOWL size 35 (Debian package wamerican-small), lowercase ASCII entries of two
# or more letters, plus "a" and "i". Regenerate with scripts/make_word_list.py.
#
# SCOWL is Copyright 2000-2011 by Kevin Atkinson.
# Permission to use, copy, modify, distribute and sell these word lists, the associated
# scripts, the output created from the scripts, and its documentation for any purpose is
# hereby granted without fee, provided that the above copyright notice appears in all copies
# and that both that copyright notice and this permission notice appear in supporting
# documentation. Kevin Atkinson makes no representations about the suitability of this array
# for any purpose. It is provided "as is" without express or implied warranty.
"""
WORD = re.compile(r"^[a-z]{2,}$")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the English word list.")
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source}: no such file; apt-get install wamerican-small", file=sys.stderr)  # noqa: T201
        return 1
    lines = args.source.read_text(encoding="utf-8", errors="replace").splitlines()
    words = sorted({line for line in lines if WORD.match(line)} | {"a", "i"})
    args.output.write_text(HEADER + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(words):,} words from {args.source}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
