"""Fixtures: a per-module cache of running Apache servers, and the error-log
check run after every test (see harness.BAD_LOG / Apache.expect_log)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Apache  # noqa: E402

LIVE = []  # every running server; the log check looks at all of them


def _freeze(files):
    return tuple(sorted((files or {}).items(), key=lambda kv: kv[0]))


@pytest.fixture(scope="module")
def apache():
    """apache(impl, mpm, body, files=None, **kw) -> a started Apache, reused for
    identical arguments within the test module and stopped at its end."""
    cache = {}

    def get(impl, mpm, body, files=None, **kw):
        key = (impl, mpm, body, _freeze(files), tuple(sorted(kw.items())))
        if key not in cache:
            srv = Apache(impl=impl, mpm=mpm, body=body, files=files, **kw)
            cache[key] = srv  # registered before start so a failed start is cleaned up
            srv.start()
            LIVE.append(srv)
        return cache[key]

    yield get
    problems = []
    for srv in cache.values():
        srv.stop()
        bad = srv.bad_log_lines()
        if bad:
            problems.append(f"{srv!r} at shutdown:\n" + "\n".join(bad + srv.core_backtraces()))
        if srv in LIVE:
            LIVE.remove(srv)
        srv.cleanup()
    assert not problems, "\n".join(problems)


@pytest.fixture
def fresh_apache():
    """Like `apache` but function-scoped (for configs used by a single test)."""
    started = []

    def get(impl, mpm, body, files=None, **kw):
        srv = Apache(impl=impl, mpm=mpm, body=body, files=files, **kw)
        started.append(srv)
        srv.start()
        LIVE.append(srv)
        return srv

    yield get
    for srv in started:
        if srv in LIVE:
            LIVE.remove(srv)
        srv.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fail the test on any unexpected bad error-log line written during it."""
    for srv in LIVE:
        srv.mark_log()
    outcome = yield
    bad = [f"{srv!r}: {line}" for srv in LIVE for line in srv.bad_log_lines()]
    if bad:
        bad += [trace for srv in LIVE for trace in srv.core_backtraces()]
    for srv in LIVE:  # later checks (next test, shutdown) start after this point
        srv.mark_log()
    if outcome.excinfo is None:
        assert not bad, "unexpected error log lines:\n" + "\n".join(bad)
    elif bad:
        print("error log lines during this failed test:", *bad, sep="\n")
