//! `session-crypto-rs revoke`: writes a revocation entry to memcached or
//! redis directly, over TCP, as httpd's session_crypto_module writes it
//! through mod_socache_memcache or mod_socache_redis: the same key (the
//! namespace, a colon and the entry in hex), the same 8-byte value and a
//! lifetime in seconds. What an entry is lives in the core library
//! (`mod_session_cookie_rs::revoke`); this file only carries it to a store.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use mod_session_cookie_rs::revoke::{SESSION_ID_LEN, SessionId};

/// How long connecting, and then each write and read, may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The longest reply line read from a store: both replies we expect are
/// a few bytes, errors a sentence.
const MAX_REPLY: usize = 1024;

/// Which mod_socache provider's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// mod_socache_memcache: memcached's text protocol.
    Memcache,
    /// mod_socache_redis: RESP.
    Redis,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Memcache => "memcache",
            Self::Redis => "redis",
        }
    }

    /// The port the provider uses when none is given.
    fn default_port(self) -> u16 {
        match self {
            Self::Memcache => 11211,
            Self::Redis => 6379,
        }
    }
}

/// A store, as `SessionCryptoRevocationStore` names it: `memcache:HOST:PORT`
/// or `redis:HOST:PORT`, one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    pub backend: Backend,
    /// A name or an address; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.backend.name();
        if self.host.contains(':') {
            write!(f, "{name}:[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{name}:{}:{}", self.host, self.port)
        }
    }
}

/// Reads `--store` (clap's value parser: an error is a usage error).
pub fn parse_store(spec: &str) -> Result<Store, String> {
    let (name, args) = spec.split_once(':').unwrap_or((spec, ""));
    let backend = match name {
        "memcache" => Backend::Memcache,
        "redis" => Backend::Redis,
        "shmcb" => {
            return Err("shmcb lives in httpd's shared memory: revoke through \
                        SessionCryptoRevokeHeader from a back end instead"
                .into());
        }
        _ => {
            return Err(format!(
                "'{name}' is not a store this tool writes to: \
                 memcache:HOST[:PORT] or redis:HOST[:PORT]"
            ));
        }
    };
    if args.contains(',') {
        // mod_socache_memcache spreads keys over a list of servers by
        // apr_memcache's hash, and fails over when one is down: which
        // server holds a key is the module's to choose, not ours.
        return Err(format!(
            "{name}: one server only (httpd spreads keys over a list of \
             servers by its own hash); revoke through \
             SessionCryptoRevokeHeader from a back end instead"
        ));
    }
    let (host, port) = split_host_port(args)
        .ok_or_else(|| format!("{name}: '{args}' is not HOST, HOST:PORT or [IPv6]:PORT"))?;
    let port = match port {
        None => backend.default_port(),
        Some(text) => match text.parse::<u16>() {
            Ok(p) if p != 0 && text.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return Err(format!("{name}: '{text}' is not a port (1 to 65535)")),
        },
    };
    Ok(Store {
        backend,
        host: host.into(),
        port,
    })
}

/// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`; `None` if it is none of
/// these (an empty host, an IPv6 address without brackets).
fn split_host_port(args: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(rest) = args.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return None;
        }
        (host, port)
    } else {
        match args.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (args, None),
        }
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || "[]/".contains(c);
    if host.is_empty() || (!args.starts_with('[') && host.contains(bad)) {
        return None;
    }
    Some((host, port))
}

/// Reads `--session-id`: 32 hex digits, either case.
pub fn parse_session_id(text: &str) -> Result<SessionId, String> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * SESSION_ID_LEN {
        return Err(format!(
            "a session id is {} hex digits, not {}",
            2 * SESSION_ID_LEN,
            bytes.len()
        ));
    }
    let mut id = [0; SESSION_ID_LEN];
    for (byte, pair) in id.iter_mut().zip(bytes.chunks_exact(2)) {
        let digit = |b: u8| (b as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => *byte = (hi << 4 | lo) as u8,
            _ => return Err("a session id is hex digits only (0-9, a-f)".into()),
        }
    }
    Ok(id)
}

/// memcached's text protocol: `set KEY 0 SECONDS 8`, the value, and the
/// line end (flags 0, as apr_memcache_set is called).
pub fn memcache_set(key: &str, value: &[u8], seconds: u64) -> Vec<u8> {
    let mut request = format!("set {key} 0 {seconds} {}\r\n", value.len()).into_bytes();
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\n");
    request
}

/// RESP: the array `SETEX KEY SECONDS VALUE` of bulk strings (binary safe).
pub fn redis_setex(key: &str, value: &[u8], seconds: u64) -> Vec<u8> {
    let seconds = seconds.to_string();
    let parts: [&[u8]; 4] = [b"SETEX", key.as_bytes(), seconds.as_bytes(), value];
    let mut request = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        request.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        request.extend_from_slice(part);
        request.extend_from_slice(b"\r\n");
    }
    request
}

/// Writes `key` with `value` to `store`, to expire in `seconds`; the
/// error says what went wrong, for stderr.
pub fn write_entry(store: &Store, key: &str, value: &[u8], seconds: u64) -> Result<(), String> {
    let (request, expected): (Vec<u8>, &[u8]) = match store.backend {
        Backend::Memcache => (memcache_set(key, value, seconds), b"STORED\r\n"),
        Backend::Redis => (redis_setex(key, value, seconds), b"+OK\r\n"),
    };
    let mut stream = connect(store)?;
    stream
        .write_all(&request)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("{store}: cannot send the entry: {}", io_reason(&e)))?;
    let reply = read_line(&mut stream).map_err(|e| format!("{store}: no reply: {e}"))?;
    if reply == expected {
        Ok(())
    } else {
        Err(format!(
            "{store}: the entry was not stored; the server said: {}",
            printable(&reply)
        ))
    }
}

/// A connection to `store`, trying each of its addresses in turn.
fn connect(store: &Store) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (store.host.as_str(), store.port)
        .to_socket_addrs()
        .map_err(|e| format!("{store}: cannot resolve {}: {e}", store.host))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, TIMEOUT) {
            Ok(stream) => {
                let timeouts = stream
                    .set_read_timeout(Some(TIMEOUT))
                    .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)));
                timeouts.map_err(|e| format!("{store}: {e}"))?;
                // Best effort: the request is one small write.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        Some((addr, e)) => format!("{store}: cannot connect to {addr}: {}", io_reason(&e)),
        None => format!("{store}: {} has no address", store.host),
    })
}

/// Reads one reply line, its `\r\n` included.
fn read_line(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    let mut buf = [0; 256];
    while !line.ends_with(b"\r\n") {
        if line.len() > MAX_REPLY {
            return Err(format!("a reply longer than {MAX_REPLY} bytes"));
        }
        match stream.read(&mut buf) {
            Ok(0) if line.is_empty() => return Err("the server closed the connection".into()),
            Ok(0) => {
                return Err(format!(
                    "the server closed the connection after: {}",
                    printable(&line)
                ));
            }
            Ok(n) => line.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_reason(&e)),
        }
    }
    Ok(line)
}

/// An I/O error, with timeouts said as such (a timed-out read is
/// `WouldBlock` on Unix).
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::{TimedOut, WouldBlock};
    match e.kind() {
        TimedOut | WouldBlock => format!("timed out after {} s", TIMEOUT.as_secs()),
        _ => e.to_string(),
    }
}

/// A server's reply, for a message: its line end dropped, other control
/// bytes and non-ASCII escaped.
fn printable(reply: &[u8]) -> String {
    let reply = reply.strip_suffix(b"\r\n").unwrap_or(reply);
    if reply.is_empty() {
        return "(an empty line)".into();
    }
    reply.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(backend: Backend, host: &str, port: u16) -> Store {
        Store {
            backend,
            host: host.into(),
            port,
        }
    }

    #[test]
    fn stores() {
        use Backend::{Memcache, Redis};
        let ok = [
            (
                "memcache:127.0.0.1:11311",
                store(Memcache, "127.0.0.1", 11311),
            ),
            (
                "memcache:cache.example",
                store(Memcache, "cache.example", 11211),
            ),
            ("redis:localhost", store(Redis, "localhost", 6379)),
            ("redis:10.0.0.2:7000", store(Redis, "10.0.0.2", 7000)),
            ("redis:[::1]:6380", store(Redis, "::1", 6380)),
            ("memcache:[::1]", store(Memcache, "::1", 11211)),
        ];
        for (spec, want) in ok {
            assert_eq!(parse_store(spec), Ok(want.clone()), "{spec}");
            // It prints as it was given (with the port).
            let again = parse_store(&want.to_string()).unwrap();
            assert_eq!(again, want);
        }
        assert_eq!(store(Redis, "::1", 6379).to_string(), "redis:[::1]:6379");
        let bad = [
            "shmcb",
            "shmcb:/tmp/x(512000)",
            "dbm:/tmp/x",
            "memcache",
            "memcache:",
            "memcache::11211",
            "memcache:host:",
            "memcache:host:0",
            "memcache:host:65536",
            "memcache:host:+1",
            "memcache:host:11211:1",
            "memcache:a:11211,b:11211",
            "redis:::1",
            "redis:[::1",
            "redis:[::1]6379",
            "redis:[not-v6]:6379",
            "redis:a b:6379",
            "Redis:localhost",
        ];
        for spec in bad {
            assert!(parse_store(spec).is_err(), "{spec}");
        }
        let shmcb = parse_store("shmcb:/tmp/x").unwrap_err();
        assert!(shmcb.contains("SessionCryptoRevokeHeader"), "{shmcb}");
    }

    #[test]
    fn session_ids() {
        let id = parse_session_id("00112233445566778899AaBbCcDdEeFf").unwrap();
        assert_eq!(
            id,
            [
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        for bad in [
            "",
            "0011223344556677889900112233445",
            "001122334455667788990011223344556",
            "0011223344556677889900112233445g",
            "+011223344556677889900112233445f",
            "001122334455667788990011223344\u{e9}",
        ] {
            assert!(parse_session_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn requests() {
        let value = [0, 0, 1, 0x0d, 0x0a, b' ', 0xff, 7];
        let mut want = b"set scr-revoke:73ab 0 60 8\r\n".to_vec();
        want.extend_from_slice(&value);
        want.extend_from_slice(b"\r\n");
        assert_eq!(memcache_set("scr-revoke:73ab", &value, 60), want);

        let mut want =
            b"*4\r\n$5\r\nSETEX\r\n$15\r\nscr-revoke:73ab\r\n$7\r\n2592000\r\n$8\r\n".to_vec();
        want.extend_from_slice(&value);
        want.extend_from_slice(b"\r\n");
        assert_eq!(redis_setex("scr-revoke:73ab", &value, 2_592_000), want);
    }

    #[test]
    fn replies_print_safely() {
        assert_eq!(
            printable(b"SERVER_ERROR out of memory\r\n"),
            "SERVER_ERROR out of memory"
        );
        assert_eq!(printable(b"-ERR x\x1b[2J\r\n"), "-ERR x\\x1b[2J");
        assert_eq!(printable(b"\r\n"), "(an empty line)");
    }
}
