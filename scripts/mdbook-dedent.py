#!/usr/bin/env python3
"""mdBook preprocessor: removes the indentation common to every line of each
fenced code block, after the includes are expanded.

A block included by anchor from inside a function body keeps the body's
indentation (mdBook copies the anchored lines as they are; its issue #1601),
so `let tx = pool.begin().await?;` would render four or eight spaces in.
book/book.toml runs this after mdBook's own `links` preprocessor.

mdBook calls it twice: `mdbook-dedent.py supports <renderer>` (every renderer
is supported), then with `[context, book]` as JSON on stdin, expecting the
book back as JSON on stdout.
"""

import json
import re
import sys

FENCE = re.compile(r"^(\s*)(```+|~~~+)")


def dedent_blocks(text: str) -> str:
    """Each fenced block of `text` without the indentation all its lines share."""
    out: list[str] = []
    block: list[str] | None = None
    fence = ""
    for line in text.split("\n"):
        match = FENCE.match(line)
        if block is None:
            out.append(line)
            if match:
                block, fence = [], match.group(2)
            continue
        if match and match.group(2).startswith(fence[0]) and len(match.group(2)) >= len(fence):
            out.extend(dedent(block))
            out.append(line)
            block = None
            continue
        block.append(line)
    if block is not None:  # an unclosed fence: leave it as it was
        out.extend(block)
    return "\n".join(out)


def dedent(lines: list[str]) -> list[str]:
    """`lines` without the leading spaces every non-blank line has."""
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] if line.strip() else line.strip(" ") for line in lines]


def walk(items: list) -> None:
    """Dedents every chapter in `items` and in their sub-chapters."""
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter is None:
            continue
        chapter["content"] = dedent_blocks(chapter["content"])
        walk(chapter.get("sub_items", []))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        return 0
    _context, book = json.load(sys.stdin)
    walk(book.get("items", book.get("sections", [])))
    json.dump(book, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
