"""The FFI boundary, checked in the source: every function httpd or APR
calls (`extern "C" fn` in src/ffi) runs its body inside the one panic
boundary, `guarded` (src/ffi/mod.rs), directly or through the helpers
built on it (`config_call` for directive handlers, `text_hook` for the
session text hooks), so that no panic unwinds into C. The few that cannot
panic (an atomic add, a constant, handing a static table to the shim) are
named here with the reason; a new entry point must be one or the other.
"""
import re
from pathlib import Path

from harness import REPO

BOUNDARY = re.compile(r"\b(guarded|config_call|text_hook)\(")
# Entry points with no code that can panic.
PANIC_FREE = {
    "in_child": "one atomic add, in a child just forked",
    "size": "size_of of a type",
    "register_hooks": "hands the shim a static table",
}


def entry_points():
    """(file, name, body) of every `extern "C" fn` with a body in src/ffi."""
    for path in sorted((REPO / "src" / "ffi").rglob("*.rs")):
        text = path.read_text()
        for m in re.finditer(r'extern "C" fn (\w+)(?:<[^>]*>)?\(', text):
            brace = text.find("{", m.end())
            semi = text.find(";", m.end())
            if brace < 0 or 0 <= semi < brace:
                continue  # a type or a declaration, no body
            depth, i = 0, brace
            while True:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                if depth == 0:
                    break
                i += 1
            yield path.relative_to(REPO), m.group(1), text[brace:i + 1]


def test_every_entry_point_runs_inside_the_panic_boundary():
    points = list(entry_points())
    assert len(points) >= 20, [name for _, name, _ in points]  # the scan found them
    outside = [f"{path}: {name}" for path, name, body in points
               if name not in PANIC_FREE and not BOUNDARY.search(body)]
    assert not outside, "entry points outside guarded():\n" + "\n".join(outside)


def test_the_panic_free_ones_are_still_there_and_small():
    bodies = {name: body for _, name, body in entry_points()}
    for name in PANIC_FREE:
        assert name in bodies, f"{name} is gone: drop it from PANIC_FREE"
        assert bodies[name].count("\n") <= 6, f"{name} grew: put it inside guarded()"
