"""The one HTTP client of every test suite (integration, memcheck, soak,
browser, docker): raw HTTP/1.1 to a port on 127.0.0.1, so a test sends
exactly the headers it means (duplicates, odd whitespace, binary bytes) and
sees every response header in wire order, redirects not followed.

Suites import it by path: `sys.path.insert(0, <repo>/tests)`, then
`from http_client import ...`.
"""
import re
import socket
from dataclasses import dataclass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Response:
    status: int
    headers: list  # [(name, value)] in wire order, duplicates kept
    body: bytes

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name):
        vals = self.all(name)
        return ", ".join(vals) if vals else None

    def cgi(self):
        """The back end's dump: {VAR: value or None when unset}."""
        seen = {}
        for line in self.body.decode("latin-1").splitlines():
            m = re.match(r"^([A-Z_0-9]+)(?:=\[(.*)\]| unset)$", line)
            if m:
                seen[m.group(1)] = m.group(2)
        return seen


def _dechunk(data):
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


def raw_request(port, path, headers=(), method="GET", body=b"", timeout=10):
    """Send exactly `headers`: (name, value) pairs or raw header lines (str/bytes,
    sent verbatim, for odd whitespace). Host and Connection: close are added
    unless given. Returns Response with every header in order."""
    lines = [f"{method} {path} HTTP/1.1".encode()]
    names = set()
    for h in headers:
        raw = h if isinstance(h, bytes) else (
            h.encode("latin-1") if isinstance(h, str) else f"{h[0]}: {h[1]}".encode("latin-1"))
        names.add(raw.split(b":", 1)[0].strip().lower())
        lines.append(raw)
    if b"host" not in names:
        lines.append(b"Host: 127.0.0.1")
    if b"connection" not in names:
        lines.append(b"Connection: close")
    if body:
        lines.append(b"Content-Length: %d" % len(body))
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    resp = b"".join(chunks)
    head, _, rest = resp.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    assert head_lines[0].startswith("HTTP/1."), f"bad response: {resp[:200]!r}"
    status = int(head_lines[0].split()[1])
    hdrs = [(k.strip(), v.strip()) for k, _, v in (l.partition(":") for l in head_lines[1:])]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in hdrs):
        rest = _dechunk(rest)
    return Response(status, hdrs, rest)
