//! `session-crypto-rs revoke` against a real memcached and a real
//! redis-server: the entry it writes is read back with a raw client, and
//! its key, value and lifetime are checked against what the module
//! (src/revoke/mod.rs) writes through mod_socache, computed here independently.
//!
//! memcached and redis-server must be installed (/usr/bin, or MEMCACHED
//! and REDIS_SERVER naming them): without them these tests fail, they do
//! not skip.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_session-crypto-rs");

/// 30 days: the default and the longest lifetime.
const MAX_SECONDS: u64 = 2_592_000;

/// SHA-256 of subjects, first 16 bytes (`printf NAME | sha256sum`).
const ALICE: &str = "2bd806c97f0e00af1a1fc3328fa763a9";
const BOB_SMITH: &str = "7e50351d7a4c51161920af1a3526e79e";
/// "café" in Latin-1: a subject need not be UTF-8.
const CAFE_LATIN1: (&[u8], &str) = (b"caf\xe9", "dafd66c0b98965e688be1fc12942c09f");

// ---- the servers ---------------------------------------------------------

/// A server this test started; killed when dropped, whatever happened.
struct Server {
    child: Child,
    /// The address it listens on.
    host: &'static str,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (just now) at `host`.
fn free_port(host: &str) -> u16 {
    TcpListener::bind((host, 0))
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("bind {host} port 0: {e}"))
        .port()
}

fn program(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} is not installed: these tests need a real one \
         (apt-get install memcached redis-server, or set {env})",
        path.display()
    );
    path
}

/// Starts `name` on `host` and a free port and waits until `ready` says
/// it answers.
fn start(
    name: &'static str,
    path: PathBuf,
    host: &'static str,
    args: impl Fn(u16) -> Vec<String>,
    ready: fn(&Server) -> bool,
) -> Server {
    // A port taken between free_port() and the server's bind: try another.
    for _ in 0..5 {
        let port = free_port(host);
        let child = Command::new(&path)
            .args(args(port))
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let mut server = Server { child, host, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = server.child.try_wait().expect("try_wait") {
                let mut err = String::new();
                if let Some(mut e) = server.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                eprintln!("{name} on port {port} exited ({status}): {err}");
                break;
            }
            if ready(&server) {
                return server;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("{name} did not start (see above)");
}

fn memcached() -> Server {
    let path = program("MEMCACHED", "/usr/bin/memcached");
    let args = |port: u16| {
        let mut args: Vec<String> = ["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0"]
            .map(String::from)
            .into();
        // memcached refuses to run as root without -u.
        if is_root() {
            args.extend(["-u".into(), "root".into()]);
        }
        args
    };
    start("memcached", path, "127.0.0.1", args, |server| {
        connect(server)
            .map(|mut s| memcache_command(&mut s, b"version\r\n").starts_with(b"VERSION "))
            .unwrap_or(false)
    })
}

/// A redis-server listening on `host`.
fn redis(host: &'static str) -> Server {
    let path = program("REDIS_SERVER", "/usr/bin/redis-server");
    let args = |port: u16| {
        [
            "--port",
            &port.to_string(),
            "--bind",
            host,
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .map(String::from)
        .into()
    };
    start("redis-server", path, host, args, |server| {
        connect(server)
            .map(|mut s| redis_command(&mut s, &[b"PING"]) == Reply::Status("PONG".into()))
            .unwrap_or(false)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

// ---- raw clients -----------------------------------------------------------

fn connect(server: &Server) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect((server.host, server.port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(s)
}

/// Sends a memcache text command and returns the reply's first line.
fn memcache_command(s: &mut TcpStream, command: &[u8]) -> Vec<u8> {
    s.write_all(command).expect("write");
    let mut line = Vec::new();
    BufReader::new(s)
        .read_until(b'\n', &mut line)
        .expect("read");
    line
}

/// memcache `get KEY`: the flags and the value, or `None`.
fn memcache_get(server: &Server, key: &str) -> Option<(u32, Vec<u8>)> {
    let mut s = connect(server).expect("connect to memcached");
    s.write_all(format!("get {key}\r\n").as_bytes())
        .expect("write");
    let mut r = BufReader::new(s);
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).expect("read");
    if line == b"END\r\n" {
        return None;
    }
    let line = String::from_utf8(line).expect("an ASCII reply line");
    let words: Vec<&str> = line.trim_end().split(' ').collect();
    let ["VALUE", k, flags, len] = words[..] else {
        panic!("memcached said {line:?}");
    };
    assert_eq!(k, key);
    let len: usize = len.parse().expect("a length");
    let mut data = vec![0; len + 2];
    r.read_exact(&mut data).expect("the value");
    assert_eq!(&data[len..], b"\r\n");
    data.truncate(len);
    let mut end = Vec::new();
    r.read_until(b'\n', &mut end).expect("read");
    assert_eq!(end, b"END\r\n");
    Some((flags.parse().expect("flags"), data))
}

#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Status(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
}

/// Sends a RESP command and reads a reply that is not an array.
fn redis_command(s: &mut TcpStream, args: &[&[u8]]) -> Reply {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        request.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        request.extend_from_slice(a);
        request.extend_from_slice(b"\r\n");
    }
    s.write_all(&request).expect("write");
    let mut r = BufReader::new(s);
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).expect("read");
    let text = String::from_utf8_lossy(&line[1..]).trim_end().to_string();
    match line.first() {
        Some(b'+') => Reply::Status(text),
        Some(b'-') => Reply::Error(text),
        Some(b':') => Reply::Integer(text.parse().expect("an integer")),
        Some(b'$') if text == "-1" => Reply::Bulk(None),
        Some(b'$') => {
            let len: usize = text.parse().expect("a length");
            let mut data = vec![0; len + 2];
            r.read_exact(&mut data).expect("the value");
            assert_eq!(&data[len..], b"\r\n");
            data.truncate(len);
            Reply::Bulk(Some(data))
        }
        _ => panic!("redis said {line:?}"),
    }
}

fn redis_do(server: &Server, args: &[&[u8]]) -> Reply {
    let mut s = connect(server).expect("connect to redis");
    redis_command(&mut s, args)
}

// ---- the command -----------------------------------------------------------

fn now_ms() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    u64::try_from(d.as_millis()).expect("ms fit")
}

/// Runs the CLI with `args`, and the time around it (Unix ms).
fn run<S: AsRef<OsStr>>(args: &[S]) -> (Output, u64, u64) {
    let before = now_ms();
    let out = Command::new(BIN).args(args).output().expect("run the CLI");
    let after = now_ms();
    (out, before, after)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a revoke that must succeed; returns its stdout line and times.
fn revoke<S: AsRef<OsStr>>(args: &[S]) -> (String, u64, u64) {
    let (out, before, after) = run(args);
    assert!(
        out.status.success(),
        "{:?} failed ({}): {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        out.status,
        stderr(&out)
    );
    assert_eq!(stderr(&out), "");
    (stdout(&out), before, after)
}

fn session_key(id_hex: &str) -> String {
    format!("scr-revoke:73{}", id_hex.to_ascii_lowercase())
}

fn subject_key(digest_hex: &str) -> String {
    format!("scr-revoke:75{digest_hex}")
}

/// The value is 8 bytes: when the command ran, Unix ms, big endian.
fn assert_time(value: &[u8], before: u64, after: u64) {
    let value: [u8; 8] = value
        .try_into()
        .unwrap_or_else(|_| panic!("a value of {} bytes", value.len()));
    let at = u64::from_be_bytes(value);
    assert!(
        (before..=after).contains(&at),
        "revoked at {at}, not between {before} and {after}"
    );
}

// ---- the tests -------------------------------------------------------------

#[test]
fn revokes_in_memcached() {
    let mc = memcached();
    let store = format!("memcache:127.0.0.1:{}", mc.port);

    // A session id in upper case: the key is in lower case, as httpd's
    // ap_bin2hex writes it.
    let id = "00112233445566778899AABBCCDDEEFF";
    let (line, before, after) = revoke(&["revoke", "--store", &store, "--session-id", id]);
    assert_eq!(
        line,
        format!(
            "revoked session {} in {store} for {MAX_SECONDS} s\n",
            id.to_ascii_lowercase()
        )
    );
    let (flags, value) = memcache_get(&mc, &session_key(id)).expect("the session entry");
    assert_eq!(flags, 0);
    assert_time(&value, before, after);

    // A subject, with a lifetime of its own.
    let (line, before, after) = revoke(&[
        "revoke",
        "--subject",
        "alice",
        "--store",
        &store,
        "--seconds",
        "3600",
    ]);
    assert!(
        line.starts_with("revoked every session of subject \"alice\" begun before "),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(" in {store} for 3600 s\n")),
        "{line}"
    );
    let (flags, value) = memcache_get(&mc, &subject_key(ALICE)).expect("the subject entry");
    assert_eq!(flags, 0);
    assert_time(&value, before, after);

    // Revoking again moves the time on.
    thread::sleep(Duration::from_millis(5));
    let (_, before2, after2) = revoke(&["revoke", "--store", &store, "--subject", "alice"]);
    let (_, value) = memcache_get(&mc, &subject_key(ALICE)).expect("the subject entry");
    assert_time(&value, before2.max(after + 1), after2);
}

/// The value redis holds under `key`.
fn redis_entry(rd: &Server, key: &str) -> Vec<u8> {
    let Reply::Bulk(Some(value)) = redis_do(rd, &[b"GET", key.as_bytes()]) else {
        panic!("no {key} in redis");
    };
    value
}

/// The seconds redis keeps `key` for.
fn redis_ttl(rd: &Server, key: &str) -> i64 {
    let Reply::Integer(ttl) = redis_do(rd, &[b"TTL", key.as_bytes()]) else {
        panic!("no TTL for {key}");
    };
    ttl
}

/// Revokes session `id` in `store` (redis `rd`) with the default lifetime,
/// checks the line printed and the entry's time; returns the entry's key.
fn revoke_session_in_redis(rd: &Server, store: &str, id: &str) -> String {
    let (line, before, after) = revoke(&["revoke", "--store", store, "--session-id", id]);
    assert_eq!(
        line,
        format!("revoked session {id} in {store} for {MAX_SECONDS} s\n")
    );
    let key = session_key(id);
    assert_time(&redis_entry(rd, &key), before, after);
    key
}

#[test]
fn revokes_in_redis() {
    let rd = redis("127.0.0.1");
    let store = format!("redis:127.0.0.1:{}", rd.port);

    let key = revoke_session_in_redis(&rd, &store, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    let ttl = redis_ttl(&rd, &key);
    let ttl = ttl as u64;
    assert!((MAX_SECONDS - 5..=MAX_SECONDS).contains(&ttl), "TTL {ttl}");

    // A subject with a space, and a lifetime.
    let (line, before, after) = revoke(&[
        "revoke",
        "--store",
        &store,
        "--subject",
        "bob smith",
        "--seconds",
        "90",
    ]);
    assert!(line.contains("subject \"bob smith\""), "{line}");
    assert!(line.ends_with(&format!(" in {store} for 90 s\n")), "{line}");
    let key = subject_key(BOB_SMITH);
    let value = redis_entry(&rd, &key);
    assert_time(&value, before, after);
    let ttl = redis_ttl(&rd, &key);
    assert!((85..=90).contains(&ttl), "TTL {ttl}");

    // A subject that is not UTF-8 is hashed as the bytes given.
    let (name, digest) = CAFE_LATIN1;
    let (_, before, after) = revoke(&[
        OsStr::new("revoke"),
        OsStr::new("--store"),
        OsStr::new(&store),
        OsStr::new("--subject"),
        OsStr::from_bytes(name),
    ]);
    let key = subject_key(digest);
    let value = redis_entry(&rd, &key);
    assert_time(&value, before, after);

    // The three entries and nothing else.
    assert_eq!(redis_do(&rd, &[b"DBSIZE"]), Reply::Integer(3));
}

#[test]
fn ipv6_in_brackets() {
    // IPv6 loopback is needed to try it (not every container has it).
    if let Err(e) = TcpListener::bind("[::1]:0") {
        panic!("no IPv6 loopback here ({e}): this test needs ::1");
    }
    let rd = redis("::1");
    let store = format!("redis:[::1]:{}", rd.port);
    revoke_session_in_redis(&rd, &store, "ffeeddccbbaa99887766554433221100");
}

#[test]
fn usage_errors_exit_2() {
    let store = "redis:127.0.0.1:1";
    let cases: &[(&[&str], &str)] = &[
        (&["--store", store, "--session-id", "0011"], "32 hex digits"),
        (
            &[
                "--store",
                store,
                "--session-id",
                "0011223344556677889900112233445g",
            ],
            "hex digits only",
        ),
        (&["--store", store, "--session-id", ""], "32 hex digits"),
        (
            &["--store", "shmcb", "--subject", "alice"],
            "SessionCryptoRevokeHeader",
        ),
        (
            &[
                "--store",
                "shmcb:/var/run/revoked(512000)",
                "--subject",
                "alice",
            ],
            "shmcb lives in httpd's shared memory",
        ),
        (
            &["--store", store, "--subject", "alice", "--seconds", "0"],
            "--seconds",
        ),
        (
            &[
                "--store",
                store,
                "--subject",
                "alice",
                "--seconds",
                "2592001",
            ],
            "--seconds",
        ),
        (
            &["--store", store, "--subject", "alice", "--seconds=-1"],
            "--seconds",
        ),
        (&["--store", store, "--subject", ""], "--subject"),
        (&["--store", store], "--session-id"),
        (
            &[
                "--store",
                store,
                "--subject",
                "a",
                "--session-id",
                "00112233445566778899aabbccddeeff",
            ],
            "cannot be used with",
        ),
        (&["--subject", "alice"], "--store"),
        (&["--store", "dbm:/tmp/x", "--subject", "alice"], "dbm"),
        (&["--store", "memcache:", "--subject", "alice"], "memcache"),
        (&["--store", "memcache:h:0", "--subject", "alice"], "port"),
        (
            &["--store", "memcache:a:11211,b:11211", "--subject", "alice"],
            "one server",
        ),
        (&["--store", "redis:[::1", "--subject", "alice"], "[IPv6]"),
    ];
    for (args, says) in cases {
        let mut all = vec!["revoke"];
        all.extend_from_slice(args);
        let (out, _, _) = run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

#[test]
fn an_unreachable_store_exits_1() {
    // A port nothing listens on: the connection is refused.
    for kind in ["memcache", "redis"] {
        let port = free_port("127.0.0.1");
        let store = format!("{kind}:127.0.0.1:{port}");
        let (out, _, _) = run(&["revoke", "--store", &store, "--subject", "alice"]);
        assert_eq!(out.status.code(), Some(1), "{store}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("session-crypto-rs: "), "{err}");
        assert!(
            err.contains(&store) && err.contains("cannot connect"),
            "{err}"
        );
        assert_eq!(stdout(&out), "");
    }
}

/// A fake store: accepts one connection, reads the request, and answers
/// `reply` (or nothing, holding the connection open for `hold`).
fn fake_store(reply: &'static [u8], hold: Duration) -> (u16, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let mut request = Vec::new();
        let mut buf = [0; 1024];
        // Read what comes until the client pauses.
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        if reply.is_empty() {
            thread::sleep(hold);
        } else {
            let _ = s.write_all(reply);
        }
        let _ = s.shutdown(Shutdown::Both);
        request
    });
    (port, handle)
}

#[test]
fn a_store_that_refuses_exits_1() {
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "memcache",
            b"SERVER_ERROR out of memory storing object\r\n",
            "out of memory",
        ),
        ("redis", b"-NOAUTH Authentication required.\r\n", "NOAUTH"),
        ("redis", b"-ERR x\x1b[2J\r\n", "-ERR x\\x1b[2J"),
        // Closed without a word.
        ("memcache", b"", "closed the connection"),
    ];
    for (kind, reply, says) in cases {
        let hold = Duration::ZERO;
        let (port, server) = fake_store(reply, hold);
        let store = format!("{kind}:127.0.0.1:{port}");
        let (out, _, _) = run(&[
            "revoke",
            "--store",
            &store,
            "--session-id",
            &"ab".repeat(16),
        ]);
        assert_eq!(out.status.code(), Some(1), "{store}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(!stderr(&out).contains('\x1b'), "escape bytes pass through");
        let request = server.join().expect("the fake store");
        // The request it got is the one the real servers take.
        let key = session_key(&"ab".repeat(16));
        let head = match kind {
            "memcache" => format!("set {key} 0 {MAX_SECONDS} 8\r\n"),
            _ => format!(
                "*4\r\n$5\r\nSETEX\r\n${}\r\n{key}\r\n$7\r\n{MAX_SECONDS}\r\n$8\r\n",
                key.len()
            ),
        };
        assert!(
            request.starts_with(head.as_bytes()),
            "{:?}",
            request.escape_ascii().to_string()
        );
        assert_eq!(request.len(), head.len() + 8 + 2);
        assert!(request.ends_with(b"\r\n"));
    }
}

#[test]
fn a_store_that_does_not_answer_times_out() {
    let (port, server) = fake_store(b"", Duration::from_secs(7));
    let store = format!("redis:127.0.0.1:{port}");
    let started = Instant::now();
    let (out, _, _) = run(&["revoke", "--store", &store, "--subject", "alice"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(took < Duration::from_secs(7), "took {took:?}");
    server.join().expect("the fake store");
}

/// The session id `inspect` prints is the one `revoke --session-id` takes,
/// and it names the session the value carries.
#[test]
fn inspect_prints_the_id_revoke_takes() {
    use std::os::unix::fs::OpenOptionsExt as _;

    let dir = std::env::temp_dir().join(format!("scr-cli-revoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(dir.clone());

    let secret = Command::new(BIN).arg("keygen").output().expect("keygen");
    assert!(secret.status.success());
    let passfile = dir.join("passphrase");
    std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&passfile)
        .and_then(|mut f| f.write_all(&secret.stdout))
        .expect("write the passphrase file");
    let passfile = passfile.to_str().expect("a UTF-8 path");

    let sealed = Command::new(BIN)
        .args(["seal", "--passphrase-file", passfile, "user=ada"])
        .output()
        .expect("seal");
    assert!(sealed.status.success(), "{}", stderr(&sealed));
    let value = stdout(&sealed);
    let inspected = Command::new(BIN)
        .args(["inspect", "--passphrase-file", passfile, value.trim_end()])
        .output()
        .expect("inspect");
    assert!(inspected.status.success(), "{}", stderr(&inspected));
    let text = stdout(&inspected);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("session id "))
        .unwrap_or_else(|| panic!("no session id in:\n{text}"))
        .trim();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

    // Each seal of a new session draws a new id.
    let again = Command::new(BIN)
        .args(["seal", "--passphrase-file", passfile, "user=ada"])
        .output()
        .expect("seal");
    let again = Command::new(BIN)
        .args([
            "inspect",
            "--passphrase-file",
            passfile,
            stdout(&again).trim_end(),
        ])
        .output()
        .expect("inspect");
    assert!(!stdout(&again).contains(id), "two sessions, one id");

    let rd = redis("127.0.0.1");
    let store = format!("redis:127.0.0.1:{}", rd.port);
    let (_, before, after) = revoke(&["revoke", "--store", &store, "--session-id", id]);
    let key = session_key(id);
    let value = redis_entry(&rd, &key);
    assert_time(&value, before, after);
}
