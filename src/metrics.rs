//! What the modules count, and how the counts are shown: mod_status's
//! section (HTML and `?auto`) and Prometheus' text exposition format.
//!
//! The counters live in memory shared by every child of a server
//! (src/ffi/metrics.rs); here they are plain numbers in a [`Snapshot`],
//! and nothing in a name or a label comes from a session or a secret: the
//! status words are fixed, key ids are the public 4-byte ids sealed values
//! carry in the clear.

use std::fmt::Write as _;

use crate::status::Status;

/// How many key ids are counted one by one; the others' openings are
/// counted together (`key_id="other"`).
pub const KEY_SLOTS: usize = 32;

/// Every single counter, by the module that counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    /// Cookie module: a session not written because its cookies would not
    /// come back (over `LimitRequestFieldSize`).
    NotWrittenFieldLimit,
    /// Cookie module: not written because it needs more parts than
    /// allowed, or the attributes leave no room.
    NotWrittenParts,
    /// Cookie module: sessions written in chunks, and their parts.
    ChunkedWrites,
    ChunkParts,
    /// Crypto module: sessions sealed in our format and in stock's.
    SealedOurs,
    SealedStock,
    /// Crypto module: secrets through Argon2id, when the configuration was
    /// read at startup (or a restart), and from `.htaccess` in a child.
    Argon2idStartup,
    Argon2idHtaccess,
    /// Crypto module: revocation store lookups, and those that failed.
    StoreLookups,
    StoreFailures,
    /// Crypto module: revocations written, of a session and of a subject.
    RevokedSessions,
    RevokedSubjects,
    /// Crypto module: openings of a value sealed under a key id beyond the
    /// [`KEY_SLOTS`] counted one by one.
    OpenedOtherKey,
}

/// How many [`Counter`]s there are.
pub const COUNTERS: usize = Counter::OpenedOtherKey as usize + 1;

/// Which module's counters a snapshot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Cookie,
    Crypto,
}

/// The counters of one module, read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Requests by their final status word, if this module counts them
    /// (`None`: the other of our modules does).
    pub words: Option<[u64; Status::ALL.len()]>,
    pub counters: [u64; COUNTERS],
    /// Openings per key id, in the order the ids were first seen.
    pub keys: Vec<([u8; 4], u64)>,
}

impl Snapshot {
    fn get(&self, c: Counter) -> u64 {
        self.counters[c as usize]
    }
}

/// One metric family: its name (after the `httpd_session_` prefix), help,
/// the `?auto` key of its samples (then each one's label value in
/// CamelCase) and its samples (label, value).
struct Family {
    name: &'static str,
    help: &'static str,
    auto: &'static str,
    samples: Vec<(Option<(&'static str, String)>, u64)>,
}

/// A family of fixed counters: the module that counts it, its name, help
/// and `?auto` key, its label and each sample's label value and counter
/// (no label: one sample).
struct Fixed {
    module: Module,
    name: &'static str,
    help: &'static str,
    auto: &'static str,
    label: Option<&'static str>,
    samples: &'static [(&'static str, Counter)],
}

/// The fixed families, in the order they are shown.
const FIXED: [Fixed; 8] = [
    Fixed {
        module: Module::Cookie,
        name: "not_written_total",
        help: "Sessions not written because their cookies would not fit.",
        auto: "SessionNotWritten",
        label: Some("reason"),
        samples: &[
            ("field_limit", Counter::NotWrittenFieldLimit),
            ("parts", Counter::NotWrittenParts),
        ],
    },
    Fixed {
        module: Module::Cookie,
        name: "chunked_writes_total",
        help: "Sessions written in chunks (SessionCookieChunkSize).",
        auto: "SessionChunkedWrites",
        label: None,
        samples: &[("", Counter::ChunkedWrites)],
    },
    Fixed {
        module: Module::Cookie,
        name: "chunk_parts_total",
        help: "Cookie parts of the sessions written in chunks.",
        auto: "SessionChunkParts",
        label: None,
        samples: &[("", Counter::ChunkParts)],
    },
    Fixed {
        module: Module::Crypto,
        name: "sealed_total",
        help: "Sessions sealed, by format.",
        auto: "SessionSealed",
        label: Some("format"),
        samples: &[
            ("ours", Counter::SealedOurs),
            ("stock", Counter::SealedStock),
        ],
    },
    Fixed {
        module: Module::Crypto,
        name: "argon2id_runs_total",
        help: "Secrets stretched with Argon2id, at startup and from .htaccess.",
        auto: "SessionArgon2idRuns",
        label: Some("when"),
        samples: &[
            ("startup", Counter::Argon2idStartup),
            ("htaccess", Counter::Argon2idHtaccess),
        ],
    },
    Fixed {
        module: Module::Crypto,
        name: "revocation_lookups_total",
        help: "Lookups in the revocation store.",
        auto: "SessionRevocationLookups",
        label: None,
        samples: &[("", Counter::StoreLookups)],
    },
    Fixed {
        module: Module::Crypto,
        name: "revocation_store_failures_total",
        help: "Lookups and writes the revocation store did not answer.",
        auto: "SessionRevocationStoreFailures",
        label: None,
        samples: &[("", Counter::StoreFailures)],
    },
    Fixed {
        module: Module::Crypto,
        name: "revocations_total",
        help: "Revocations written, of a session id or of a subject.",
        auto: "SessionRevocations",
        label: Some("kind"),
        samples: &[
            ("session", Counter::RevokedSessions),
            ("subject", Counter::RevokedSubjects),
        ],
    },
];

fn families(module: Module, s: &Snapshot) -> Vec<Family> {
    let mut out = Vec::new();
    if let Some(words) = &s.words {
        out.push(Family {
            name: "status_total",
            help: "Requests by their session status word (SESSION_COOKIE_STATUS).",
            auto: "SessionStatus",
            samples: Status::ALL
                .iter()
                .zip(words)
                .map(|(w, n)| (Some(("word", w.name().to_owned())), *n))
                .collect(),
        });
    }
    if module == Module::Crypto {
        let mut opened: Vec<_> = s
            .keys
            .iter()
            .map(|(id, n)| (Some(("key_id", crate::seal::hex(id))), *n))
            .collect();
        opened.push((
            Some(("key_id", "other".to_owned())),
            s.get(Counter::OpenedOtherKey),
        ));
        out.push(Family {
            name: "opened_total",
            help: "Values of our format opened, by the key id they were sealed under.",
            auto: "SessionOpenedKey",
            samples: opened,
        });
    }
    for f in FIXED.iter().filter(|f| f.module == module) {
        out.push(Family {
            name: f.name,
            help: f.help,
            auto: f.auto,
            samples: f
                .samples
                .iter()
                .map(|&(value, c)| (f.label.map(|l| (l, value.to_owned())), s.get(c)))
                .collect(),
        });
    }
    out
}

/// The prefix of every metric name.
const PREFIX: &str = "httpd_session_";

/// The counters in Prometheus' text exposition format (version 0.0.4).
pub fn prometheus(module: Module, s: &Snapshot) -> String {
    let mut out = String::new();
    for f in families(module, s) {
        let _ = writeln!(out, "# HELP {PREFIX}{} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {PREFIX}{} counter", f.name);
        for (label, n) in f.samples {
            match label {
                // Label values are fixed words and hex ids: nothing to
                // escape.
                Some((k, v)) => {
                    let _ = writeln!(out, "{PREFIX}{}{{{k}=\"{v}\"}} {n}", f.name);
                }
                None => {
                    let _ = writeln!(out, "{PREFIX}{} {n}", f.name);
                }
            }
        }
    }
    out
}

/// `Key: value` lines for mod_status' `?auto` form.
pub fn status_auto(module: Module, s: &Snapshot) -> String {
    let mut out = String::new();
    for f in families(module, s) {
        for (label, n) in f.samples {
            let suffix = label.map(|(_, v)| camel(&v)).unwrap_or_default();
            let _ = writeln!(out, "{}{suffix}: {n}", f.auto);
        }
    }
    out
}

/// mod_status' HTML section: a heading and a table of the counters.
pub fn status_html(module: Module, s: &Snapshot) -> String {
    let title = match module {
        Module::Cookie => "Session cookies (mod_session_cookie_rs)",
        Module::Crypto => "Sealed sessions (mod_session_crypto_rs)",
    };
    let mut out = format!("<hr /><h2>{title}</h2>\n<table border=\"0\">\n");
    for f in families(module, s) {
        for (label, n) in f.samples {
            let name = match label {
                Some((k, v)) => format!("{PREFIX}{}{{{k}=\"{v}\"}}", f.name),
                None => format!("{PREFIX}{}", f.name),
            };
            let _ = writeln!(out, "<tr><td>{}</td><td>{n}</td></tr>", html(&name));
        }
    }
    out.push_str("</table>\n");
    out
}

/// `unknown_key` as `UnknownKey`, `1a2b3c4d` as `1a2b3c4d`.
fn camel(v: &str) -> String {
    v.split('_')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let mut s = Snapshot {
            words: Some([0; Status::ALL.len()]),
            ..Snapshot::default()
        };
        s.words.as_mut().unwrap()[Status::UnknownKey.index()] = 3;
        s.counters[Counter::SealedOurs as usize] = 5;
        s.keys.push(([0x1a, 0x2b, 0x3c, 0x4d], 7));
        s
    }

    #[test]
    fn prometheus_text_names_each_family_once() {
        let text = prometheus(Module::Crypto, &snapshot());
        assert!(text.contains("httpd_session_status_total{word=\"unknown_key\"} 3\n"));
        assert!(text.contains("httpd_session_sealed_total{format=\"ours\"} 5\n"));
        assert!(text.contains("httpd_session_opened_total{key_id=\"1a2b3c4d\"} 7\n"));
        assert_eq!(
            text.matches("# TYPE httpd_session_status_total counter")
                .count(),
            1
        );
        assert!(!text.contains("chunk"), "the cookie module's families");
    }

    #[test]
    fn auto_lines_are_camel_case_keys() {
        let text = status_auto(Module::Crypto, &snapshot());
        assert!(text.contains("SessionStatusUnknownKey: 3\n"), "{text}");
        assert!(text.contains("SessionOpenedKey1a2b3c4d: 7\n"), "{text}");
        assert!(text.contains("SessionSealedOurs: 5\n"), "{text}");
    }

    #[test]
    fn a_module_that_does_not_count_words_shows_none() {
        let s = Snapshot::default();
        let text = prometheus(Module::Cookie, &s);
        assert!(!text.contains("status_total"));
        assert!(text.contains("httpd_session_chunked_writes_total 0\n"));
        assert!(status_html(Module::Cookie, &s).contains("<h2>Session cookies"));
    }
}
