//! `SessionCryptoPassphraseFile`'s rules: the one reader of passphrase
//! files, for the module (shim/session_crypto.c hands it the file's bytes)
//! and the admin CLI alike, so both derive the same keys from one file.
//!
//! Lines as httpd's own configuration reader (`ap_cfg_getline`) takes
//! them: a line ending in a backslash goes on on the next line (the
//! backslash removed), a carriage return before the line feed is dropped,
//! leading and trailing white space (C's `isspace`) is removed, and a line
//! may hold at most [`MAX_LINE`] bytes. Then one secret per line: blank
//! lines and lines starting with `#` are skipped; a line starting with a
//! quote is a quoted secret (a backslash before the quote character keeps
//! it, as `ap_getword_conf` reads it), which may be followed by a `#`
//! comment and nothing else; any other line is taken whole;
//! `exec:program args` means the first line the program prints, its
//! arguments split as `apr_tokenize_to_argv` splits them ([`exec_argv`]).

use std::fmt;

use zeroize::Zeroizing;

/// One line's secret.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    Secret(Zeroizing<Vec<u8>>),
    /// `exec:` and the command line after it.
    Exec(String),
}

/// The longest line httpd's reader takes (its `MAX_STRING_LEN`, 8192
/// bytes with the NUL).
pub const MAX_LINE: usize = 8191;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassfileError {
    /// Text after a quoted secret that is not a comment.
    AfterQuote { line: usize },
    /// A line over [`MAX_LINE`] bytes.
    TooLong { line: usize },
}

impl fmt::Display for PassfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AfterQuote { line } => write!(f, "line {line}: text after the quoted secret"),
            Self::TooLong { line } => write!(
                f,
                "line {line}: cannot be read: longer than {MAX_LINE} bytes"
            ),
        }
    }
}

impl std::error::Error for PassfileError {}

/// C's `isspace` in the C locale (httpd's `apr_isspace`): Rust's
/// `is_ascii_whitespace` leaves out the vertical tab.
fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0x0b
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// The file's logical lines, as `ap_cfg_getline` reads them, with the
/// number of the last physical line each ends on.
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, Zeroizing<Vec<u8>>)> + '_ {
    let mut physical = text.split_inclusive(|&b| b == b'\n').enumerate();
    std::iter::from_fn(move || {
        let mut line = Zeroizing::new(Vec::new());
        loop {
            let (i, part) = physical.next()?;
            let (body, ended) = match part.strip_suffix(b"\n") {
                Some(body) => (body.strip_suffix(b"\r").unwrap_or(body), true),
                None => (part, false),
            };
            match body.strip_suffix(b"\\") {
                // Goes on on the next line (not at the end of the file).
                Some(body) if ended => line.extend_from_slice(body),
                _ => {
                    line.extend_from_slice(body);
                    return Some((i + 1, line));
                }
            }
        }
    })
}

/// The file's entries, in order: the first seals, all open.
pub fn parse_passfile(text: &[u8]) -> Result<Vec<Entry>, PassfileError> {
    let mut entries = Vec::new();
    for (number, line) in lines(text) {
        if line.len() > MAX_LINE {
            return Err(PassfileError::TooLong { line: number });
        }
        let line = trim(&line);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let secret = match line[0] {
            quote @ (b'"' | b'\'') => {
                let (secret, rest) = quoted(&line[1..], quote);
                let rest = trim(rest);
                if !rest.is_empty() && rest[0] != b'#' {
                    return Err(PassfileError::AfterQuote { line: number });
                }
                secret
            }
            _ => Zeroizing::new(line.to_vec()),
        };
        entries.push(match secret.strip_prefix(b"exec:") {
            Some(cmd) if !cmd.is_empty() => Entry::Exec(String::from_utf8_lossy(cmd).into_owned()),
            _ => Entry::Secret(secret),
        });
    }
    Ok(entries)
}

/// The text up to the closing `quote` (a backslash before it keeps it, as
/// httpd's `ap_getword_conf` does), and what follows.
fn quoted(s: &[u8], quote: u8) -> (Zeroizing<Vec<u8>>, &[u8]) {
    let mut out = Zeroizing::new(Vec::new());
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

/// An `exec:` command line split into the program and its arguments as
/// APR's `apr_tokenize_to_argv` splits it (what the module runs): words
/// between spaces and tabs; a word may be in double or single quotes (the
/// quotes go); a backslash before a space, tab or quote keeps it in the
/// word, and every backslash not itself escaped is dropped.
pub fn exec_argv(cmd: &str) -> Vec<String> {
    let b = cmd.as_bytes();
    let mut argv = Vec::new();
    let mut i = 0;
    let skip_blanks = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    skip_blanks(&mut i);
    while i < b.len() {
        let quote = match b[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                Some(q)
            }
            _ => None,
        };
        let start = i;
        while i < b.len() {
            if b[i] == b'\\' && matches!(b.get(i + 1), Some(b' ' | b'\t' | b'"' | b'\'')) {
                i += 2;
                continue;
            }
            let ends = match quote {
                None => b[i] == b' ' || b[i] == b'\t',
                Some(q) => b[i] == q,
            };
            if ends {
                break;
            }
            i += 1;
        }
        argv.push(unescaped(&b[start..i.min(b.len())]));
        i += 1; // the space, tab or closing quote
        skip_blanks(&mut i);
    }
    argv
}

/// A word with its escaping backslashes removed.
fn unescaped(word: &[u8]) -> String {
    let mut out = Vec::with_capacity(word.len());
    let mut escaped = false;
    for &c in word {
        if !escaped && c == b'\\' {
            escaped = true;
        } else {
            escaped = false;
            out.push(c);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `exec:` takes of a program's output, as httpd's
/// `ap_get_exec_line` does: its first line, up to the first line feed or
/// carriage return, nothing trimmed.
pub fn first_line(output: &[u8]) -> &[u8] {
    let end = output
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(output.len());
    &output[..end]
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
            Err(PassfileError::AfterQuote { line: 2 })
        );
    }

    #[test]
    fn lines_as_httpd_reads_them() {
        // A backslash at the end goes on on the next line; CR LF ends a
        // line; a vertical tab is white space; at the end of the file a
        // backslash stays.
        let text = b"first \\\r\n  half\r\n\x0bsecond\x0b\nlast\\";
        assert_eq!(
            parse_passfile(text).unwrap(),
            vec![secret("first   half"), secret("second"), secret("last\\")]
        );
        // Line numbers count physical lines.
        assert_eq!(
            parse_passfile(b"a \\\nb\n'c' d\n"),
            Err(PassfileError::AfterQuote { line: 3 })
        );
        let long = [b'x'; MAX_LINE + 1];
        assert_eq!(
            parse_passfile(&[&b"ok\n"[..], &long].concat()),
            Err(PassfileError::TooLong { line: 2 })
        );
        assert!(parse_passfile(&long[1..]).is_ok());
    }

    #[test]
    fn exec_arguments_as_apr_splits_them() {
        assert_eq!(exec_argv("  prog a\tb  "), ["prog", "a", "b"]);
        assert_eq!(
            exec_argv(r#"prog "two words" 'and more' x"#),
            ["prog", "two words", "and more", "x"]
        );
        assert_eq!(
            exec_argv(r"prog a\ b c\\d e\x"),
            ["prog", "a b", r"c\d", "ex"]
        );
        assert_eq!(exec_argv(r#"prog "a \" b""#), ["prog", r#"a " b"#]);
        assert!(exec_argv("   ").is_empty());
    }

    #[test]
    fn the_first_line_is_taken_whole() {
        assert_eq!(first_line(b"secret  \nmore"), b"secret  ");
        assert_eq!(first_line(b"secret\r\n"), b"secret");
        assert_eq!(first_line(b"no newline"), b"no newline");
    }
}
