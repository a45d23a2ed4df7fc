#!/usr/bin/env python3
"""Every public declaration of the library modules has a doc comment.

Scans Sources/ (all modules but the command, which has no public API) for
lines declaring something `public` and fails, naming file:line, when the
line above (skipping attributes) is not a `///` comment. DocC documents what
the comments say; this keeps a symbol from reaching it undocumented.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
declaration = re.compile(r"^\s*(@\w+(\(.*\))?\s+)*public\s")
missing = []
for path in sorted(root.glob("Sources/**/*.swift")):
    if "BackpropCommand" in path.parts:
        continue
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines):
        if not declaration.match(line) or re.match(r"^\s*public\s+import\b", line):
            continue
        above = number - 1
        # attributes, and plain // remarks between the doc comment and the
        # declaration (an @_specialize's reason), are skipped
        while above >= 0 and (lines[above].strip().startswith("@") or
                              re.match(r"^\s*//(?!/)", lines[above])):
            above -= 1
        if above < 0 or not lines[above].strip().startswith("///"):
            missing.append(f"{path.relative_to(root)}:{number + 1}: {line.strip()}")
for entry in missing:
    print(f"{entry}: public declaration without a doc comment", file=sys.stderr)
print(f"doc comments: {len(missing)} public declarations without one")
sys.exit(1 if missing else 0)
