//! `SessionCryptoPassphraseFile`'s rules, for the admin CLI: it must read
//! the same secrets from the same file as the module (whose reader is C,
//! shim/session_crypto.c, on httpd's own line reader).
//!
//! One secret per line, leading and trailing whitespace removed; blank
//! lines and lines starting with `#` are skipped; a line starting with a
//! quote is a quoted secret (a backslash before the quote character keeps
//! it), which may be followed by a `#` comment and nothing else; any other
//! line is taken whole; `exec:program args` means the first line the
//! program prints.

use std::fmt;

use zeroize::Zeroizing;

/// One line's secret.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    Secret(Zeroizing<Vec<u8>>),
    /// `exec:` and the command line after it.
    Exec(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassfileError {
    pub line: usize,
}

impl fmt::Display for PassfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: text after the quoted secret", self.line)
    }
}

impl std::error::Error for PassfileError {}

/// The file's entries, in order: the first seals, all open.
pub fn parse_passfile(text: &[u8]) -> Result<Vec<Entry>, PassfileError> {
    let mut entries = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let secret = match line[0] {
            quote @ (b'"' | b'\'') => {
                let (secret, rest) = quoted(&line[1..], quote);
                let rest = rest.trim_ascii_start();
                if !rest.is_empty() && rest[0] != b'#' {
                    return Err(PassfileError { line: i + 1 });
                }
                secret
            }
            _ => line.to_vec(),
        };
        entries.push(match secret.strip_prefix(b"exec:") {
            Some(cmd) if !cmd.is_empty() => Entry::Exec(String::from_utf8_lossy(cmd).into_owned()),
            _ => Entry::Secret(Zeroizing::new(secret)),
        });
    }
    Ok(entries)
}

/// The text up to the closing `quote` (a backslash before it keeps it, as
/// httpd's `ap_getword_conf` does), and what follows.
fn quoted(s: &[u8], quote: u8) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' if s.get(i + 1) == Some(&quote) => {
                out.push(quote);
                i += 2;
            }
            b if b == quote => return (out, &s[i + 1..]),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Entry {
        Entry::Secret(Zeroizing::new(s.as_bytes().to_vec()))
    }

    #[test]
    fn the_modules_rules() {
        let text = b"# first seals\n  plain secret with spaces  \n\n\"quoted \\\" one\"  # old\n'single'\nexec:/bin/echo hi\n";
        assert_eq!(
            parse_passfile(text).unwrap(),
            vec![
                secret("plain secret with spaces"),
                secret("quoted \" one"),
                secret("single"),
                Entry::Exec("/bin/echo hi".into()),
            ]
        );
        assert_eq!(
            parse_passfile(b"ok\n\"x\" trailing\n"),
            Err(PassfileError { line: 2 })
        );
    }
}
