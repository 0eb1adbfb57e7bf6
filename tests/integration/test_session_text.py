"""The session text decoder and encoder of our modules against
mod_session's, through real httpd. Both modules run our decoder
(src/session/decode.rs) in a `session_decode` hook just before
mod_session's own `session_identity_decode`, and our encoder
(src/session/encode.rs) in two `session_encode` hooks around its
`session_identity_encode` (src/ffi/session_encode.rs).

Decoding:
One server loads stock's modules only, so mod_session's decoder does the
work; the others load ours, whose hook decodes the text and leaves
mod_session nothing to do. Each server gets the same `Cookie: session=<text>`
and shows, in a response header, the session mod_session made of it:
mod_session's fixups encode the decoded entries again into HTTP_SESSION
(with `expiry=` when the text set one; a session whose expiry is past is
dropped). Status and that header must be equal for every text: a few
thousand random ones, biased to the hard cases (empty tokens, '=' in
values, bad escapes and %00, unsets, `expiry` spelled many ways, numbers
out of range), and a fixed list of edge cases.

`model()` below is an independent Python rendering of mod_session 2.4's
decoder and encoder (apr_strtok, ap_unescape_urlencoded, apr_atoi64,
apr_table_set/unset, ap_escape_urlencoded). It is held to stock's output
too, so that the counts of cases hit (unsets, skipped pairs, expiry...)
describe what stock did with the texts, and the test shows it exercised
them.

Encoding: with `SessionMaxAge`, every request saves the session again, so
the `Set-Cookie` line carries the session mod_session made of the cookie,
encoded again (with the new expiry, masked here: it is the time of the
request). Stock's line and ours must be equal for every text, in every mix,
and, sealed, must open (with the admin CLI) to the text stock writes plain.

The random texts change every run: the seed is printed with any failure;
SCR_SESSION_TEXT_SEED=<seed> replays one. SCR_SESSION_TEXT_COUNT sets how
many texts (default 5000).
"""
import os
import random
import re
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import CGI, DEFAULT_LOGLEVEL, MIXES, REPO, Mix

SEED = int(os.environ.get("SCR_SESSION_TEXT_SEED") or random.SystemRandom().randrange(2**32))
COUNT = int(os.environ.get("SCR_SESSION_TEXT_COUNT") or 5000)
WHERE = f"(seed {SEED}: SCR_SESSION_TEXT_SEED={SEED} replays it)"
THREADS = 6
SECRET = "integration secret of the session text tests, 0123456789"
CLI = REPO / "target/release/session-crypto-rs"

BODY = """
Session On
SessionEnv On
SessionCookieName session path=/
Header always set X-Session "[%{HTTP_SESSION}e]"
"""
SEALED_BODY = BODY + f'SessionCryptoPassphrase "{SECRET}"\n'
# Every request saves: the Set-Cookie line shows the session encoded.
SAVE_BODY = """
Session On
SessionMaxAge 3600
SessionCookieName session path=/
"""
SEALED_SAVE_BODY = SAVE_BODY + f'SessionCryptoPassphrase "{SECRET}"\n'
FILES = {"page.txt": "page\n"}

STOCK = Mix("stock")
OURS = Mix("ours")
# Our crypto module opens a sealed value and decodes its text; stock's
# cookie module reads the cookie.
SEALED_MIXES = [Mix("stock", "ours"), Mix("stock", "ours", True), Mix("ours", "ours")]


def serve(apache, mix, body=BODY, files=FILES):
    return apache(mix.cookie, "event", body, files=files, crypto=mix.crypto,
                  crypto_first=mix.crypto_first,
                  loglevel=DEFAULT_LOGLEVEL + (" session_crypto:debug" if mix.crypto else ""))


def observe(srv, value, path="/page.txt"):
    """(status, the session mod_session decoded from `value`, re-encoded)."""
    resp = srv.request(path, [("Cookie", f"session={value}")])
    return resp.status, resp.get("X-Session")


def observe_all(srv, values):
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda v: observe(srv, v), values))


def saved(srv, value, opened=lambda text: text):
    """(status, the session text the response's Set-Cookie line carries
    (sealed: what `opened` opens it to), its expiry masked as `N`), after
    checking that expiry is now plus SessionMaxAge."""
    before = time.time()
    resp = srv.request("/page.txt", [("Cookie", f"session={value}")])
    after = time.time()
    lines = [v for v in resp.all("Set-Cookie") if v.startswith("session=")]
    assert len(lines) == 1, (srv, value, resp.headers)
    text, attrs = lines[0][len("session="):].split(";", 1)
    assert attrs == "Max-Age=3600;path=/", (srv, lines)
    return resp.status, mask_expiry(opened(text), before, after)


def mask_expiry(text, before, after):
    """`text` with the value of its (one) expiry pair, a key of any case,
    replaced by `N`; that value must be a time SessionMaxAge after the
    request."""
    pairs = text.split("&") if text else []
    expiry = [i for i, p in enumerate(pairs) if p.partition("=")[0].lower() == "expiry"]
    assert len(expiry) == 1, text
    key, _, at = pairs[expiry[0]].partition("=")
    assert (before + 3600) * 1e6 - 1e6 <= int(at) <= (after + 3600) * 1e6 + 1e6, text
    pairs[expiry[0]] = f"{key}=N"
    return "&".join(pairs)


def saved_all(srv, values):
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda v: saved(srv, v), values))


# ------------------------------------------------------------------ model --
HEX = b"0123456789abcdefABCDEF"
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def unescape(field):
    """ap_unescape_urlencoded: None where it fails (bad escape, or %00)."""
    field = field.replace(b"+", b" ")
    out, i, ok = bytearray(), 0, True
    while i < len(field):
        c = field[i]
        if c == ord("%"):
            pair = field[i + 1:i + 3]
            if len(pair) < 2 or pair[0] not in HEX or pair[1] not in HEX:
                ok = False
            else:
                c = int(pair, 16)
                ok = ok and c != 0
                i += 2
        out.append(c)
        i += 1
    return bytes(out) if ok else None


def atoi64(text):
    """apr_atoi64: strtoll(text, NULL, 10), saturating."""
    text = text.lstrip(b" \t\n\v\f\r")
    sign = -1 if text[:1] == b"-" else 1
    if text[:1] in (b"-", b"+"):
        text = text[1:]
    digits = len(text) - len(text.lstrip(b"0123456789"))
    value = sign * int(text[:digits] or b"0")
    return max(-2**63, min(2**63 - 1, value))


def steps(text):
    """What session_identity_decode does with `text`, step by step:
    ("set", key, value), ("unset", key), ("expiry", n), ("skip", pair)."""
    out = []
    for pair in (p for p in text.split(b"&") if p):  # apr_strtok: no empty tokens
        rest = pair.lstrip(b"=")  # apr_strtok on '=' skips leading '='
        if not rest:
            continue
        key, _, value = rest.partition(b"=")  # the value: the rest, '=' and all
        if not value:
            out.append(("unset", key))
            continue
        key, value = unescape(key), unescape(value)
        if key is None or value is None:
            out.append(("skip", pair))
        elif key == b"expiry":
            out.append(("expiry", atoi64(value)))
        else:
            out.append(("set", key, value))
    return out


def table_set(table, key, value):
    """apr_table_set: replace the first case-insensitive match, drop the rest."""
    hits = [i for i, (k, _) in enumerate(table) if k.lower() == key.lower()]
    if not hits:
        table.append((key, value))
        return
    table[hits[0]] = (table[hits[0]][0], value)
    for i in reversed(hits[1:]):
        del table[i]


def escape(field):
    """ap_escape_urlencoded."""
    return "".join(chr(c) if c in SAFE else "+" if c == 32 else f"%{c:02x}" for c in field)


def decoded(text):
    """The entries (a list of (key, value)) and the expiry mod_session's
    decoder makes of `text`."""
    table, expiry = [], 0
    for step in steps(text):
        if step[0] == "set":
            table_set(table, step[1], step[2])
        elif step[0] == "unset":
            table[:] = [(k, v) for k, v in table if k.lower() != step[1].lower()]
        elif step[0] == "expiry":
            expiry = step[1]
    return table, expiry


def encoded(table):
    return "&".join(f"{escape(k)}={escape(v)}" for k, v in table)


def model(text, now_us):
    """(the X-Session header stock shows, the steps), or (None, steps) when
    the expiry is too close to now to tell."""
    table, expiry = decoded(text)
    todo = steps(text)
    if expiry and abs(expiry - now_us) < 3600e6:
        return None, todo
    if expiry and expiry < now_us:  # ap_session_load: expired, a blank session
        table, expiry = [], 0
    if expiry:  # session_identity_encode
        table_set(table, b"expiry", str(expiry).encode())
    return f"[{encoded(table)}]", todo


def model_saved(text, now_us):
    """The text stock's Set-Cookie line carries after loading `text` with
    SessionMaxAge (the expiry masked), or None when the expiry is too close
    to now to tell."""
    table, expiry = decoded(text)
    if expiry and abs(expiry - now_us) < 3600e6:
        return None
    if expiry and expiry < now_us:  # expired: a blank session
        table = []
    table_set(table, b"expiry", b"N")  # SessionMaxAge: a new expiry
    return encoded(table)


def cases(text, now_us):
    """The hard cases `text` exercises in mod_session's decoder."""
    hit = set()
    table = []
    for step in steps(text):
        kind = step[0]
        if kind == "set":
            if any(k.lower() == step[1].lower() for k, _ in table):
                hit.add("set replaces a key" + (" of other case" if all(
                    k != step[1] for k, _ in table) else ""))
            table_set(table, step[1], step[2])
            if b"=" in step[2]:
                hit.add("'=' in a value")
            if step[1] != step[1].lower() and step[1].lower() == b"expiry":
                hit.add("'expiry' in other case, an entry")
        elif kind == "unset":
            hit.add("unset")
            if any(k.lower() == step[1].lower() for k, _ in table):
                hit.add("unset removes a key")
            if b"%" in step[1] or b"+" in step[1]:
                hit.add("unset of an escaped key, as written")
                plain = unescape(step[1])
                if plain and any(k.lower() == plain.lower() for k, _ in table):
                    hit.add("unset as written spares the unescaped key")
            table[:] = [(k, v) for k, v in table if k.lower() != step[1].lower()]
        elif kind == "skip":
            hit.add("pair skipped (bad escape or %00)")
            if b"%00" in step[1]:
                hit.add("%00 skips a pair")
        elif kind == "expiry":
            at = step[1]
            hit.add("expiry 0 (none)" if at == 0 else "expiry past: session dropped"
                    if at < now_us else "expiry kept")
            if abs(at) == 2**63 - 1 or at == -2**63:
                hit.add("expiry saturated")
    if b"&&" in text or text.startswith(b"&") or text.endswith(b"&"):
        hit.add("empty '&' token")
    if any(p.startswith(b"=") for p in text.split(b"&")):
        hit.add("leading '=' skipped")
    return hit


# ------------------------------------------------------------ random texts --
KEYS = ["a", "A", "b", "B", "ab", "aB", "Ab", "k%41", "kA", "ka", "KA", "expiry", "EXPIRY",
        "Expiry", "expir%79", "expir%59", "%65xpiry", "%65%78%70%69%72%79", "exp+iry", "x+y",
        "x%20y", "x%2By", "%2", "%zz", "%00", "%", "%4", "%41", "%61", "%C3%A9", "%e9", "%7e",
        "%7E", "%3D", "%3d", "%26", "%2B", "+", "-", "_", ".", "~", "0", "00", "%30", "k%0",
        "k%g1", "%%41", "k%0a", "%aF", "%Fa", "%fG"]
NUMBERS = ["0", "1", "-1", "+5", "-0", "00012", "12abc", "abc", "-", "+", "+-1", "0x10", "1e5",
           "+%35", "%2B5", "%2D5", "%095", "%0A5", "%0B7", "%0C7", "%0D7", "%205", "+7", "++7",
           "9223372036854775807", "9223372036854775808", "-9223372036854775808",
           "-9223372036854775809", "99999999999999999999999", "1" + "0" * 15,
           "-99999999999999999999", "4102444800000000", "2000000000000000-3"]
VALUES = ["1", "2", "x", "X", "v", "%41", "%2", "%zz", "%00", "a%00b", "%", "x=y", "=", "==",
          "=1", "%3D", "%26", "+", "++", "a+b", "%2B", "%7e", "%C3%A9", "-", "_", ".", "~",
          "%4", "v%", "%G1", "%0", "%%", "%2%41"]
SOUP = (["&"] * 6 + ["="] * 5 + ["%"] * 4 + ["+"] * 2 + ["0"] * 2 + list("0123456789abcdefABCDEF")
        + list("xyzXYZ-_.~") + ["expiry", "EXPIRY", "expir%79", "%00", "%2", "%zz", "%7e", "%3D"])


def number(rnd):
    if rnd.random() < 0.5:
        return rnd.choice(NUMBERS)
    digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 25)))
    return rnd.choice(["", "", "-", "+", "%2B", "%2d", "+"]) + digits


def key(rnd, family):
    if rnd.random() < 0.65:
        return rnd.choice(family)
    return "".join(rnd.choice(KEYS) for _ in range(rnd.randint(1, 2)))


def pair(rnd, family):
    k = key(rnd, family)
    v = number(rnd) if "xpir" in k.lower() or "%65" in k or rnd.random() < 0.15 else (
        rnd.choice(VALUES) if rnd.random() < 0.6 else
        "".join(rnd.choice(SOUP) for _ in range(rnd.randint(1, 6))).replace("&", ""))
    pre = rnd.choice(["", "", "", "", "=", "=="])
    form = rnd.random()
    if form < 0.12:
        return pre + k
    if form < 0.25:
        return pre + k + "="
    if form < 0.35:
        return pre + k + "==" + v
    if form < 0.42:
        return pre + k + "=" + v + "=" + rnd.choice(VALUES)
    return pre + k + "=" + v


def random_text(rnd):
    if rnd.random() < 0.25:  # character soup
        return "".join(rnd.choice(SOUP) for _ in range(rnd.randint(0, 40)))
    # A few keys, repeated in other cases, so that sets replace and unsets remove.
    family = rnd.sample(KEYS, 3) + ["a", "A", "k%41", "kA", "expiry", "Expiry"]
    pairs = [pair(rnd, family) for _ in range(rnd.randint(0, 7))]
    seps = ["&"] * 8 + ["&&", "&&&"]
    text = "".join(p + rnd.choice(seps) for p in pairs)[:-1] if pairs else ""
    return rnd.choice(["", "", "", "&", "=", "&="]) + text + rnd.choice(["", "", "", "&", "="])


def random_long_text(rnd):
    """Many pairs (40 to 200: our decoder works out a session of more than
    64 pairs before it fills the table, src/session/settle.rs): keys of a
    small family in every case, set again, unset and set after their unset,
    among keys set once. (No expiry: a past one drops the whole session.)"""
    family = ["a", "A", "kA", "ka", "KA", "k%41", "x+y", "%C3%A9", "%c3%a9", "b"]
    pairs = []
    for i in range(rnd.randint(40, 200)):
        if rnd.random() < 0.45:
            k = rnd.choice(family)
            pairs.append(rnd.choice([k, k + "=", f"{k}={rnd.choice(VALUES)}",
                                     f"{k}={rnd.choice(VALUES)}"]))
        else:
            pairs.append(f"u{i}{rnd.choice(['', 'x', 'X'])}={rnd.choice(VALUES)}")
    return "&".join(pairs)


def random_texts(count, seed=SEED):
    rnd = random.Random(seed)
    return [random_text(rnd) for _ in range(count)]


# Hand-written edge cases (as in src/session/decode.rs's unit tests), with
# the session stock shows for each: mod_session encodes it again, with
# ap_escape_urlencoded (lower-case hex; only alphanumerics and ".-*_" bare).
FIXED = {
    "a=1&b=2": "a=1&b=2",
    "&&a=1&&&b=x=y&": "a=1&b=x%3dy",
    "a=&b&c": "",
    "a=1&b=2&a=": "b=2",
    "a=1&A=2&b=3&a=4": "a=4&b=3",
    "==a==b": "a=%3db",
    "===&=&": "",
    "": "",
    "&": "",
    "a+b=c+d%26e%3D": "a+b=c+d%26e%3d",
    "k%41=v%7e%7E": "kA=v%7e%7e",
    "kA=1&k%41=": "kA=1",
    "kA=1&ka=": "",
    "k%4=v&ok=1": "ok=1",
    "k=v%&ok=1": "ok=1",
    "k=v%4&ok=1": "ok=1",
    "k=%zz&ok=1": "ok=1",
    "k%00=v&ok=1": "ok=1",
    "k=a%00b&ok=1": "ok=1",
    "k=%G1&ok=1": "ok=1",
    "k=%C3%A9": "k=%c3%a9",
    "expiry=123&a=1": "",
    "expir%79=9223372036854775808&a=1": "a=1&expiry=9223372036854775807",
    "EXPIRY=5&a=1": "EXPIRY=5&a=1",
    "expiry=0&a=1": "a=1",
    "expiry=&a=1": "a=1",
    "expiry=-4102444800000000&a=1": "",
    "expiry=+4102444800000000xyz&a=1": "a=1&expiry=4102444800000000",
    "expiry=%204102444800000000&a=1": "a=1&expiry=4102444800000000",
    "Expiry=x&expiry=4102444800000000": "Expiry=4102444800000000",
    "a=1&expiry=%00": "a=1",
    "a==": "a=%3d",
}


# ------------------------------------------------------------------ tests --
def test_fixed_cases(apache):
    """The edge cases: stock shows the pinned session (the observation
    works), ours the same; the header shows what a CGI back end sees."""
    stock, ours = serve(apache, STOCK), serve(apache, OURS)
    for text, want in FIXED.items():
        got = {srv.mix: observe(srv, text) for srv in (stock, ours)}
        assert got[STOCK] == (200, f"[{want}]"), (text, got[STOCK])
        assert got[OURS] == got[STOCK], f"{text!r}: ours (left) != stock (right)"
        for srv in (stock, ours):
            resp = srv.request("/env.sh", [("Cookie", f"session={text}")])
            assert f"[{resp.cgi()['HTTP_SESSION']}]" == got[STOCK][1], (srv, text)
        assert model(text.encode(), time.time() * 1e6)[0] in (f"[{want}]", None), text


def test_random_texts_same_as_stock(apache):
    """A few thousand random texts: ours (our cookie module alone, and
    stock's cookie module with our crypto module) decode each as stock does;
    the model agrees with stock, and the texts hit every hard case."""
    texts = random_texts(COUNT)
    mixes = [STOCK, OURS, Mix("stock", "ours")]
    servers = [serve(apache, mix) for mix in mixes]
    start = time.time() * 1e6
    seen = {srv.mix: observe_all(srv, texts) for srv in servers}
    end = time.time() * 1e6
    counts = Counter()
    for i, text in enumerate(texts):
        want = seen[STOCK][i]
        for mix in mixes[1:]:
            assert seen[mix][i] == want, (
                f"{WHERE} text {text!r}: {mix} (left) != stock (right)\nsteps: {steps(text.encode())}")
        shown = {model(text.encode(), now)[0] for now in (start, end)}
        assert shown == {None} or shown == {want[1]}, (
            f"{WHERE} text {text!r}: stock shows {want}, the model {shown} (a model bug?)\n"
            f"steps: {steps(text.encode())}")
        counts.update(cases(text.encode(), start))
        counts["stock shows a non-empty session"] += want[1] != "[]"
    counts["texts"] = len(texts)
    print(f"\nsession text cases {WHERE}:", *sorted(counts.items()), sep="\n  ")
    # Sensitivity: the hard cases occurred, in numbers.
    for case in ("unset", "unset removes a key", "unset of an escaped key, as written",
                 "pair skipped (bad escape or %00)", "%00 skips a pair", "expiry kept",
                 "expiry past: session dropped", "expiry 0 (none)", "expiry saturated",
                 "set replaces a key", "set replaces a key of other case", "'=' in a value",
                 "'expiry' in other case, an entry", "empty '&' token", "leading '=' skipped",
                 "unset as written spares the unescaped key", "stock shows a non-empty session"):
        assert counts[case] >= min(20, COUNT // 250), (case, dict(counts), WHERE)


def test_long_random_texts_same_as_stock(apache):
    """Sessions of many pairs, which our decoder works out before it fills
    the table: every entry, its order and its key's spelling as stock's
    apr_table_set and apr_table_unset leave them."""
    rnd = random.Random(SEED + 3)
    texts = [random_long_text(rnd) for _ in range(max(COUNT // 20, 50))]
    mixes = [STOCK, OURS, Mix("stock", "ours")]
    servers = [serve(apache, mix) for mix in mixes]
    seen = {srv.mix: observe_all(srv, texts) for srv in servers}
    replaced = 0
    for i, text in enumerate(texts):
        want = seen[STOCK][i]
        for mix in mixes[1:]:
            assert seen[mix][i] == want, f"{WHERE} text {text!r}: {mix} (left) != stock (right)"
        replaced += "set replaces a key of other case" in cases(text.encode(), time.time() * 1e6)
    # The texts did what they are for: long sessions shown, keys replaced.
    assert sum(len(w[1]) > 200 for w in seen[STOCK]) >= len(texts) // 2
    assert replaced >= len(texts) // 2, replaced


@pytest.mark.parametrize("mix", MIXES, ids=str)
def test_random_texts_every_mix(apache, mix):
    """Fewer texts through every other mix of ours and stock's modules, in
    both LoadModule orders."""
    texts = random_texts(COUNT // 6, SEED + 1)
    stock, ours = serve(apache, STOCK), serve(apache, mix)
    want, got = observe_all(stock, texts), observe_all(ours, texts)
    for text, w, g in zip(texts, want, got):
        assert g == w, f"{WHERE} text {text!r}: {mix} (left) != stock (right)"


SEALED_TEXTS = [t for t in random_texts(60, SEED + 2) if t][:40] + list(FIXED)[:12]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """SEALED_TEXTS sealed with the admin CLI: {text: cookie value}."""
    assert CLI.exists(), f"{CLI} is missing: build it with scripts/build.sh"
    secrets = tmp_path_factory.mktemp("secrets") / "secrets"
    secrets.write_text(f"{SECRET}\n")
    values = {}
    for text in SEALED_TEXTS:
        p = subprocess.run([str(CLI), "seal", "--passphrase-file", str(secrets), "--", text],
                           capture_output=True, text=True)
        assert p.returncode == 0, (text, p.stderr)
        values[text] = p.stdout.strip()
    return values


@pytest.mark.parametrize("mix", SEALED_MIXES, ids=str)
def test_sealed_texts_same_as_stock_plain(apache, sealed, mix):
    """Random texts sealed with the admin CLI, opened and decoded by our
    crypto module: the session is the one stock makes of the plain text."""
    want = observe_all(serve(apache, STOCK), SEALED_TEXTS)
    assert sum(w[1] != "[]" for w in want) >= 10, (WHERE, want)  # not all empty
    srv = serve(apache, mix, SEALED_BODY)
    got = observe_all(srv, [sealed[t] for t in SEALED_TEXTS])
    for text, w, g in zip(SEALED_TEXTS, want, got):
        assert g == w, f"{WHERE} text {text!r} sealed: {mix} (left) != stock plain (right)"
    assert "sealed session not opened" not in srv.new_log(), srv.new_log()


@pytest.mark.parametrize("mix", [STOCK, OURS] + SEALED_MIXES, ids=str)
def test_our_decoder_does_the_work(apache, sealed, mix):
    """Equal sessions alone would not show whose decoder ran: ours logs
    SCR0301 (counts only, never the session) wherever one of our modules
    is loaded, and stock's setup never does."""
    text = SEALED_TEXTS[0]
    plain = mix.crypto is None
    srv = serve(apache, mix, BODY if plain else SEALED_BODY)
    srv.mark_log()
    status, _ = observe(srv, text if plain else sealed[text])
    assert status == 200
    if mix.cookie == "stock" and mix.crypto is None:
        assert "SCR0301" not in srv.new_log()
    else:
        srv.expect_log(r"SCR0301: session text decoded: \d+ set, \d+ unset, \d+ expiry$")


# ------------------------------------------------------------------ saving --
# More pairs than the encoder keeps measured (src/ffi/session_encode.rs),
# bytes that every escape rule applies to, keys of other case.
SAVE_FIXED = [
    "a=1&b=2",
    "k=" + "".join(f"%{c:02x}" for c in range(1, 256)),
    "sp=a+b+%2B&st=*-._~&EXPIRY=x",
    "&".join(f"k{i}=v{i}%2C" for i in range(40)),
    "u=%C3%A9t%C3%A9&=&%3D=%26",
    "",
]


def test_saved_fixed_cases(apache):
    """Hand-picked sessions saved again: ours writes stock's text, and the
    text is the model's (the observation works)."""
    stock, ours = serve(apache, STOCK, SAVE_BODY), serve(apache, OURS, SAVE_BODY)
    for text in SAVE_FIXED:
        want = saved(stock, text)
        assert want == (200, model_saved(text.encode(), time.time() * 1e6)), (text, want)
        assert saved(ours, text) == want, f"{text!r}: ours (left) != stock (right)"
    assert len(saved(stock, SAVE_FIXED[3])[1]) > 40 * len("k0=v0%2c&"), "40 pairs written"


def test_saved_random_texts_same_as_stock(apache):
    """Random texts saved again, through every mix of our modules and
    stock's: the same Set-Cookie line as stock's; the model agrees."""
    texts = random_texts(COUNT // 5, SEED + 3)
    want = saved_all(serve(apache, STOCK, SAVE_BODY), texts)
    now = time.time() * 1e6
    for text, w in zip(texts, want):
        assert model_saved(text.encode(), now) in (None, w[1]), (
            f"{WHERE} text {text!r}: stock saves {w}, the model another (a model bug?)")
    assert sum(w[1] != "expiry=N" for w in want) >= len(texts) // 4, (WHERE, want[:20])
    for mix in [OURS, Mix("stock", "ours")] + MIXES:
        got = saved_all(serve(apache, mix, SAVE_BODY), texts)
        for text, w, g in zip(texts, want, got):
            assert g == w, f"{WHERE} text {text!r}: {mix} (left) != stock (right)"


def unmasked(text):
    """A text `saved` masked, as the client sends it back: its expiry a
    time ten minutes from now."""
    pairs = text.split("&")
    at = next(i for i, p in enumerate(pairs) if p.lower() == "expiry=n")
    pairs[at] = pairs[at][:-1] + str(int((time.time() + 600) * 1e6))
    return "&".join(pairs)


# A back end that changes the session (cgi/env.sh: ?set=k=v).
CHANGE_BODY = SAVE_BODY + "SessionHeader X-Replace-Session\n"
CHANGE_FILES = {"page.txt": "page\n", "env.sh": CGI}


def test_unchanged_sessions_keep_their_text(apache):
    """Sent back as it was written, a session saved again unchanged keeps
    its text but for the expiry (SCR0303: not encoded again) where that text
    is what encoding its entries gives, in every mix; the Set-Cookie line is
    stock's for every text. The texts are stock's own saves of the fixed and
    random ones: each ends with its expiry pair unless a key of another case
    held it (`EXPIRY=`), which must be encoded again."""
    texts = SAVE_FIXED + random_texts(COUNT // 10, SEED + 5)
    stock = serve(apache, STOCK, SAVE_BODY)
    written = [unmasked(w[1]) for w in saved_all(stock, texts)]
    want = saved_all(stock, written)
    keeps = sum(t.split("&")[-1].startswith("expiry=") for t in written)
    assert keeps >= len(written) * 3 // 4, (WHERE, written[:20])
    for mix in [OURS, Mix("stock", "ours")] + MIXES:
        srv = serve(apache, mix, SAVE_BODY)
        srv.mark_log()
        got = saved_all(srv, written)
        for text, w, g in zip(written, want, got):
            assert g == w, f"{WHERE} text {text!r}: {mix} (left) != stock (right)"
        log = srv.new_log()
        assert log.count("SCR0303") == keeps, (WHERE, mix)
        assert log.count("SCR0302") == len(written) - keeps, (WHERE, mix)


@pytest.mark.parametrize("change", ["set=b=3", "set=b=2", "set=b=", "set=c=x", "set=A=9"])
def test_changed_sessions_are_encoded_again(apache, change):
    """A back end that sets a key (to its own value too), removes one or
    adds one: the session is encoded again (SCR0302, not SCR0303), as
    stock's, whatever the mix."""
    expiry = int((time.time() + 600) * 1e6)
    text = f"a=1&b=2&expiry={expiry}"
    path = f"/env.sh?{change}"

    def save(srv):
        resp = srv.request(path, [("Cookie", f"session={text}")])
        lines = [v for v in resp.all("Set-Cookie") if v.startswith("session=")]
        assert resp.status == 200 and len(lines) == 1, (srv, resp.headers)
        return re.sub(r"expiry=\d+", "expiry=N", lines[0])

    want = save(serve(apache, STOCK, CHANGE_BODY, CHANGE_FILES))
    assert "expiry=N" in want
    for mix in [OURS] + MIXES:
        srv = serve(apache, mix, CHANGE_BODY, CHANGE_FILES)
        srv.mark_log()
        assert save(srv) == want, (mix, change)
        log = srv.new_log()
        assert "SCR0303" not in log and log.count("SCR0302") == 1, (mix, change, log)


SAVE_SEALED = SAVE_FIXED + random_texts(20, SEED + 4)


def cli(*args):
    """Runs the admin CLI with the tests' secret; its stdout."""
    assert CLI.exists(), f"{CLI} is missing: build it with scripts/build.sh"
    with tempfile.NamedTemporaryFile("w", suffix=".secrets") as secrets:
        secrets.write(f"{SECRET}\n")
        secrets.flush()
        p = subprocess.run([str(CLI), args[0], "--passphrase-file", secrets.name, "--", *args[1:]],
                           capture_output=True, text=True)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def inspected(value):
    """The session text the admin CLI opens `value` to, after checking that
    the value expires (the sealer saw the session's expiry: our encoder
    hands it back after mod_session's)."""
    shown = cli("inspect", value).splitlines()
    not_after = next(l for l in shown if l.startswith("not after "))
    assert not_after.split()[-1] != "never", shown
    line = next(l for l in shown if l.startswith("session ") and not l.startswith("session id"))
    return line[len("session "):].strip()


@pytest.mark.parametrize("mix", SEALED_MIXES, ids=str)
def test_saved_sealed_texts_open_to_stock_plain(apache, mix):
    """Sealed (with the admin CLI), opened, saved again: the value each mix
    with our crypto module writes opens to the text stock writes plain."""
    want = saved_all(serve(apache, STOCK, SAVE_BODY), SAVE_SEALED)
    srv = serve(apache, mix, SEALED_SAVE_BODY)
    for text, w in zip(SAVE_SEALED, want):
        value = cli("seal", text).strip() if text else ""
        assert saved(srv, value, inspected) == w, (
            f"{WHERE} text {text!r}: {mix} sealed another session than stock's")


@pytest.mark.parametrize("mix", [STOCK, OURS] + MIXES, ids=str)
def test_our_encoder_does_the_work(apache, mix):
    """Equal lines would not show whose encoder ran: ours logs SCR0302
    (counts only, never the session) wherever one of our modules is loaded,
    once per save even with both of ours; stock's setup never does."""
    srv = serve(apache, mix, SAVE_BODY)
    srv.mark_log()
    assert saved(srv, "user=alice&cart=a%2Cb")[0] == 200
    if mix == STOCK:
        assert "SCR0302" not in srv.new_log()
    else:
        srv.expect_log(r"SCR0302: session text encoded: 3 entries, \d+ bytes$")
        assert srv.new_log().count("SCR0302") == 1, srv.new_log()
