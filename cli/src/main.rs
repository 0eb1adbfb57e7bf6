//! session-crypto-rs: the admin CLI of mod_session_cookie_rs's
//! session_crypto_module. It reads `SessionCryptoPassphraseFile` files by
//! the module's rules and opens and seals cookie values exactly as the
//! module does (the same safe core), without a running httpd.
//!
//! It also revokes sessions (`revoke`): it writes the module's revocation
//! entries to its memcached or redis store directly.
//!
//! Exit codes: 0 done; 1 the value did not open (inspect), or the store
//! did not take the entry (revoke); 2 usage error; 3 the passphrase file
//! could not be read or holds a bad secret.

mod revoke;

use std::ffi::OsString;
use std::io::{self, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::builder::{OsStringValueParser, TypedValueParser as _};
use clap::{Parser, Subcommand, ValueEnum};
use mod_session_cookie_rs::revoke::{
    MAX_ENTRY_SECONDS, SessionId, entry_value, session_entry, store_key, subject_entry,
};
use mod_session_cookie_rs::seal::{
    Entry, Format, Keyring, Policy, Stamp, StockCipher, StockFormat, decode, exec_argv, first_line,
    format_time, hex, open_value, parse, parse_passfile, seal_value,
};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(version, about = "Admin tool for mod_session_cookie_rs's sealed sessions", long_about = None)]
#[command(
    after_help = "Exit codes: 0 done; 1 the value did not open (inspect), or the store did \
                  not take the entry (revoke); 2 usage error; 3 the passphrase file could \
                  not be read or holds a bad secret."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a new random secret (32 bytes, base64), for a passphrase file.
    Keygen,
    /// Open a cookie value offline and print the session, its times and
    /// its session id (format version 4: what `revoke --session-id`
    /// takes), or why it does not open. Reads values in our format and in
    /// stock mod_session_crypto's.
    Inspect {
        #[command(flatten)]
        secrets: Secrets,
        /// The session cookie name(s) of the location reading it; without
        /// one, any name the value was sealed for is accepted.
        #[arg(long = "cookie-name", value_name = "NAME")]
        cookie_names: Vec<String>,
        /// The cookie's value (what follows `session=`); without it, or
        /// `-`, read from standard input, where no `ps` or shell history
        /// sees a live cookie.
        value: Option<String>,
    },
    /// Seal a session text (`key=value&...`, as mod_session encodes it) as
    /// the module would, and print the cookie value.
    Seal {
        #[command(flatten)]
        secrets: Secrets,
        /// The session cookie name(s) to bind it to (SessionCookieName,
        /// SessionCookieName2).
        #[arg(long = "cookie-name", value_name = "NAME", default_value = "session")]
        cookie_names: Vec<String>,
        /// Seconds until it expires (SessionMaxAge); 0: never.
        #[arg(long, default_value_t = 0)]
        max_age: u64,
        /// When the session began, Unix seconds (default: now).
        #[arg(long)]
        origin: Option<u64>,
        /// Seal in stock mod_session_crypto's format instead, with this
        /// cipher.
        #[arg(long, value_enum)]
        stock: Option<Cipher>,
        /// The session text; without it, or `-`, read from standard input.
        text: Option<String>,
    },
    /// Print each secret's key id (as the module logs them and values
    /// carry them), never the secret.
    KeyIds {
        #[command(flatten)]
        secrets: Secrets,
    },
    /// Revoke a session, or every session of a user, in the module's
    /// revocation store (SessionCryptoRevocationStore): writes the entry
    /// httpd would write, to memcached or redis directly.
    #[command(
        after_help = "Exit codes: 0 written; 1 the store could not be reached or did not \
                      take the entry; 2 usage error."
    )]
    Revoke {
        /// The store, as SessionCryptoRevocationStore names it:
        /// memcache:HOST[:PORT] (port 11211) or redis:HOST[:PORT] (port
        /// 6379); an IPv6 address in brackets, [::1]:6379. One server.
        /// shmcb is in httpd's shared memory: revoke through
        /// SessionCryptoRevokeHeader from a back end instead.
        #[arg(long, value_name = "STORE", value_parser = revoke::parse_store)]
        store: revoke::Store,
        #[command(flatten)]
        target: Target,
        /// How long the entry is kept, 1 to 2592000 (30 days, the most a
        /// store keeps one). A session's entry is needed until the value
        /// could no longer open anyway (SessionMaxAge,
        /// SessionCryptoMaxLifetime); a subject's for
        /// SessionCryptoMaxLifetime.
        #[arg(long, value_name = "N", default_value_t = MAX_ENTRY_SECONDS,
              value_parser = clap::value_parser!(u64).range(1..=MAX_ENTRY_SECONDS))]
        seconds: u64,
    },
}

/// What `revoke` revokes: one of the two.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct Target {
    /// The session id (32 hex digits), as `inspect` prints it: that
    /// session no longer opens, wherever its cookie was copied to.
    #[arg(long, value_name = "HEX32", value_parser = revoke::parse_session_id)]
    session_id: Option<SessionId>,
    /// A user, the session's value under SessionCryptoSubjectKey: every
    /// session of theirs that began before now no longer opens ("log out
    /// everywhere"); a new login opens.
    #[arg(long, value_name = "NAME", value_parser = OsStringValueParser::new()
        .try_map(|s| if s.is_empty() { Err("a subject is not empty") } else { Ok(s) }))]
    subject: Option<OsString>,
}

#[derive(clap::Args)]
struct Secrets {
    /// A SessionCryptoPassphraseFile: one secret per line, the first seals.
    /// Read by the module's own reader (the same crate), so the same
    /// secrets come out.
    #[arg(long, value_name = "FILE")]
    passphrase_file: PathBuf,
    /// httpd's ServerRoot, which a relative `exec:` program is found in, as
    /// the module finds it.
    #[arg(long, value_name = "DIR", default_value = "/etc/apache2")]
    server_root: PathBuf,
    /// SessionCryptoContext, where one is set: values are bound to it.
    #[arg(long, value_name = "LABEL", default_value = "")]
    context: String,
    /// SessionCryptoCipher, for values in stock's format.
    #[arg(long, value_enum, default_value = "aes256")]
    cipher: Cipher,
}

#[derive(Clone, Copy, ValueEnum)]
enum Cipher {
    Aes128,
    Aes192,
    Aes256,
    #[value(name = "3des192")]
    TripleDes,
}

impl From<Cipher> for StockCipher {
    fn from(c: Cipher) -> Self {
        match c {
            Cipher::Aes128 => StockCipher::Aes128,
            Cipher::Aes192 => StockCipher::Aes192,
            Cipher::Aes256 => StockCipher::Aes256,
            Cipher::TripleDes => StockCipher::TripleDes,
        }
    }
}

/// A failure and the exit code it ends with.
struct Failure(u8, String);

fn main() -> ExitCode {
    let run = match Cli::parse().command {
        Cmd::Keygen => keygen(),
        Cmd::Inspect {
            secrets,
            cookie_names,
            value,
        } => operand(value).and_then(|value| inspect(&secrets, &cookie_names, &value)),
        Cmd::Seal {
            secrets,
            cookie_names,
            max_age,
            origin,
            stock,
            text,
        } => operand(text)
            .and_then(|text| seal_text(&secrets, &cookie_names, max_age, origin, stock, &text)),
        Cmd::KeyIds { secrets } => key_ids(&secrets),
        Cmd::Revoke {
            store,
            target,
            seconds,
        } => revoke(&store, &target, seconds),
    };
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("session-crypto-rs: {message}");
            ExitCode::from(code)
        }
    }
}

/// A command's operand as given, or (absent, or `-`) standard input's
/// first line: a live cookie or session text kept out of `ps` and shell
/// history.
fn operand(given: Option<String>) -> Result<Zeroizing<String>, Failure> {
    if let Some(given) = given.filter(|g| g != "-") {
        return Ok(Zeroizing::new(given));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure(2, format!("cannot read standard input: {e}")))?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    Ok(trimmed)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Unix milliseconds as an RFC 3339 time in UTC, with the milliseconds
/// when there are any.
fn format_time_ms(ms: u64) -> String {
    let time = format_time(ms / 1000);
    match (ms % 1000, time.strip_suffix('Z')) {
        (0, _) | (_, None) => time,
        (frac, Some(time)) => format!("{time}.{frac:03}Z"),
    }
}

fn keygen() -> Result<(), Failure> {
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut())
        .map_err(|e| Failure(3, format!("no randomness from the operating system: {e}")))?;
    println!("{}", STANDARD.encode(secret.as_ref()));
    Ok(())
}

/// The secrets of a passphrase file, through the work factor.
fn keyring(secrets: &Secrets) -> Result<Keyring, Failure> {
    let path = &secrets.passphrase_file;
    let text = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| Failure(3, format!("cannot read {}: {e}", path.display())))?,
    );
    let entries =
        parse_passfile(&text).map_err(|e| Failure(3, format!("{}: {e}", path.display())))?;
    let mut ring = Keyring::new();
    for entry in entries {
        let secret = match entry {
            Entry::Secret(s) => s,
            Entry::Exec(cmd) => exec_line(&cmd, &secrets.server_root)?,
        };
        ring.add(&secret)
            .map_err(|e| Failure(3, format!("{}: {e}", path.display())))?;
    }
    if ring.is_empty() {
        return Err(Failure(3, format!("{}: no secret in it", path.display())));
    }
    Ok(ring)
}

/// The first line `cmd` prints, as httpd's `exec:` takes it: the command
/// split as APR splits it, a relative program found in `server_root`.
fn exec_line(cmd: &str, server_root: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let argv = exec_argv(cmd);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure(3, "exec: without a program".into()))?;
    let program = server_root.join(program);
    let out = Command::new(&program)
        .args(args)
        .output()
        .map_err(|e| Failure(3, format!("exec:{}: {e}", program.display())))?;
    let out = Zeroizing::new(out.stdout);
    Ok(Zeroizing::new(first_line(&out).to_vec()))
}

fn policy(secrets: &Secrets, stock: StockFormat) -> Policy<'_> {
    Policy {
        stock,
        cipher: secrets.cipher.into(),
        context: secrets.context.as_bytes(),
        ..Policy::default()
    }
}

fn inspect(secrets: &Secrets, cookie_names: &[String], value: &str) -> Result<(), Failure> {
    let ring = keyring(secrets)?;
    let raw = decode(value.as_bytes()).ok();
    let parsed = raw.as_deref().and_then(|r| parse(r).ok());
    // Without --cookie-name: the names the value says it was sealed for.
    let names: Vec<&[u8]> = if cookie_names.is_empty() {
        parsed.iter().flat_map(|p| p.names()).collect()
    } else {
        cookie_names.iter().map(String::as_bytes).collect()
    };
    let now = now();
    let opened = open_value(
        &ring,
        policy(secrets, StockFormat::Open),
        value.as_bytes(),
        now,
        &names,
    );
    let (opened, format) = match opened {
        Ok(o) => o,
        Err(why) => {
            return Err(Failure(
                1,
                format!("does not open ({}): {why}", why.status().name()),
            ));
        }
    };
    let mut out = io::stdout().lock();
    let mut line = |k: &str, v: String| writeln!(out, "{k:<10} {v}").ok();
    match (format, &parsed) {
        (Format::Ours, Some(p)) => {
            let Stamp {
                not_after,
                origin_ms,
                session_id,
            } = p.stamp();
            line(
                "format",
                format!("mod_session_cookie_rs v{} (AES-256-GCM)", p.version()),
            );
            line("key id", hex(&p.key_id));
            let names: Vec<String> = p
                .names()
                .map(|n| String::from_utf8_lossy(n).into())
                .collect();
            line("cookies", names.join(", "));
            if let Some(id) = session_id {
                line("session id", hex(&id));
            }
            line("origin", format_time_ms(origin_ms));
            line(
                "not after",
                if not_after == 0 {
                    "never".into()
                } else {
                    format_time(not_after)
                },
            );
        }
        _ => {
            line(
                "format",
                "stock mod_session_crypto (no origin, no names)".into(),
            );
        }
    }
    line(
        "session",
        String::from_utf8_lossy(&opened.plaintext).into_owned(),
    );
    Ok(())
}

fn seal_text(
    secrets: &Secrets,
    cookie_names: &[String],
    max_age: u64,
    origin: Option<u64>,
    stock: Option<Cipher>,
    text: &str,
) -> Result<(), Failure> {
    let ring = keyring(secrets)?;
    let now_ms = now_ms();
    let now = now_ms / 1000;
    let stamp = Stamp {
        not_after: if max_age == 0 { 0 } else { now + max_age },
        origin_ms: origin.map_or(now_ms, |s| s.saturating_mul(1000)),
        // A new session: a new id (in format version 4).
        session_id: None,
    };
    let mut policy = policy(secrets, StockFormat::Open);
    if let Some(cipher) = stock {
        policy.stock = StockFormat::Seal;
        policy.cipher = cipher.into();
    }
    let names: Vec<&[u8]> = cookie_names.iter().map(String::as_bytes).collect();
    let sealed = seal_value(&ring, policy, text.as_bytes(), stamp, &names)
        .ok_or_else(|| Failure(3, "no secret to seal with".into()))?
        .map_err(|e| Failure(3, format!("no randomness from the operating system: {e}")))?;
    println!("{}", sealed.into_text());
    Ok(())
}

fn key_ids(secrets: &Secrets) -> Result<(), Failure> {
    let ring = keyring(secrets)?;
    for (i, id) in ring.ids().enumerate() {
        let role = if i == 0 { "seals and opens" } else { "opens" };
        println!("{} {} {role}", i + 1, hex(&id));
    }
    Ok(())
}

fn revoke(store: &revoke::Store, target: &Target, seconds: u64) -> Result<(), Failure> {
    let now_ms = now_ms();
    if now_ms == 0 {
        return Err(Failure(1, "the clock is before 1970".into()));
    }
    let (entry, what) = match (&target.session_id, &target.subject) {
        (Some(id), _) => (session_entry(id), format!("session {}", hex(id))),
        (None, Some(name)) => (
            subject_entry(name.as_bytes()),
            format!(
                "every session of subject {:?} begun before {}",
                name.to_string_lossy(),
                format_time_ms(now_ms)
            ),
        ),
        (None, None) => unreachable!("clap requires --session-id or --subject"),
    };
    revoke::write_entry(store, &store_key(&entry), &entry_value(now_ms), seconds)
        .map_err(|e| Failure(1, e))?;
    println!("revoked {what} in {store} for {seconds} s");
    Ok(())
}
