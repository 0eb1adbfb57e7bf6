//! `SessionCookieName` / `SessionCookieName2` arguments: a cookie name, then
//! optional attributes that are written verbatim into `Set-Cookie`.

use std::fmt;

use super::trim_start;

/// A parsed `SessionCookieName name [attributes]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieDirective<'a> {
    pub name: &'a [u8],
    pub attrs: &'a [u8],
}

impl CookieDirective<'_> {
    /// Where the name and the attributes stand in `args`, the arguments
    /// they were parsed from, as the C shim takes them: (name's offset,
    /// name's length, attributes' offset). The parts are slices of `args`.
    pub fn offsets(&self, args: &[u8]) -> (usize, usize, usize) {
        let at = |part: &[u8]| part.as_ptr() as usize - args.as_ptr() as usize;
        (
            at(self.name),
            self.name.len(),
            args.len() - self.attrs.len(),
        )
    }
}

/// Why a cookie name was refused at configuration time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveError {
    /// No name at all.
    Empty,
    /// The name holds a character that would end it early in a `Cookie`
    /// header (`;` `,`), in a `Set-Cookie` line (`=` `;`), or in
    /// mod_session's encoding (`&`), or a control character (RFC 6265
    /// names are tokens; clients trim some of them away): such a cookie
    /// could never be read back.
    ForbiddenChar(u8),
}

impl fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the cookie name cannot be empty"),
            Self::ForbiddenChar(c) => write!(
                f,
                "the cookie name cannot contain '{}' (nor any of '=', '&', ';', ',' or a \
                 control character)",
                [*c].escape_ascii()
            ),
        }
    }
}

const FORBIDDEN: &[u8] = b"=&;,";

/// Splits the raw directive arguments as stock does: the name is the first
/// word (space or tab separated), the attributes are the rest of the line
/// with leading whitespace skipped.
pub fn parse_cookie_directive(args: &[u8]) -> Result<CookieDirective<'_>, DirectiveError> {
    let args = trim_start(args);
    let name_end = args
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(args.len());
    let name = &args[..name_end];
    if name.is_empty() {
        return Err(DirectiveError::Empty);
    }
    if let Some(&c) = name
        .iter()
        .find(|b| FORBIDDEN.contains(b) || b.is_ascii_control())
    {
        return Err(DirectiveError::ForbiddenChar(c));
    }
    let attrs = trim_start(&args[name_end..]);
    Ok(CookieDirective { name, attrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_alone() {
        assert_eq!(
            parse_cookie_directive(b"session"),
            Ok(CookieDirective {
                name: b"session",
                attrs: b""
            })
        );
    }

    #[test]
    fn name_and_attributes_verbatim() {
        assert_eq!(
            parse_cookie_directive(b"session  \tpath=/; HttpOnly;Secure"),
            Ok(CookieDirective {
                name: b"session",
                attrs: b"path=/; HttpOnly;Secure"
            })
        );
    }

    #[test]
    fn empty_name_is_refused() {
        assert_eq!(parse_cookie_directive(b""), Err(DirectiveError::Empty));
        assert_eq!(parse_cookie_directive(b" \t "), Err(DirectiveError::Empty));
    }

    #[test]
    fn forbidden_characters_are_refused() {
        for (arg, c) in [("a=b", b'='), ("a&b", b'&'), ("a;b", b';'), ("a,b", b',')] {
            assert_eq!(
                parse_cookie_directive(arg.as_bytes()),
                Err(DirectiveError::ForbiddenChar(c)),
                "{arg}"
            );
        }
    }

    /// Found by the fuzzer: a name ending in a vertical tab was accepted,
    /// but `set_cookie_name` (like clients) trims it, so the module could
    /// never recognise its own Set-Cookie line.
    #[test]
    fn control_characters_are_refused() {
        for c in [0x0bu8, 0x0c, b'\r', b'\n', 0x00, 0x7f] {
            let arg = [b'a', c, b' ', b'x'];
            assert_eq!(
                parse_cookie_directive(&arg),
                Err(DirectiveError::ForbiddenChar(c)),
                "{c:#x}"
            );
        }
    }

    #[test]
    fn forbidden_characters_in_attributes_are_fine() {
        assert!(parse_cookie_directive(b"s path=/;a=b&c").is_ok());
    }

    #[test]
    fn messages_name_the_character() {
        let msg = DirectiveError::ForbiddenChar(b'&').to_string();
        assert!(msg.contains("'&'"), "{msg}");
    }
}
