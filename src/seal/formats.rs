//! Which format a session value is in: ours (format/) or stock
//! `mod_session_crypto`'s (stock.rs), and which one new values get.
//!
//! `SessionCryptoStockFormat` decides: `Open` (the default) opens both and
//! seals ours, so every session moves to our format the next time
//! mod_session writes it; `Seal` also seals stock's, so stock nodes behind
//! the same balancer keep reading sessions while nodes are switched one by
//! one; `Off` opens ours only.
//!
//! A value is tried as ours first. Only when it cannot be ours (not our
//! encoding, not our version, no key of ours) is it tried as stock's: a
//! value of ours that fails authentication or has expired is refused as
//! ours, and never costs stock's checks. A value that is neither format's
//! encoding is reported as not ours.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroizing;

use super::format::{
    Limits, OpenError, Opened, Stamp, open_capacity, open_in, raw_len, seal_into, seal_v2_into,
    seal_v3_into, text_len, to_text, write_text,
};
use super::keyring::Keyring;
use super::stock::{StockCipher, StockOpenError, open_stock, seal_stock};
use crate::status::Status;

/// The origin a stock-format value opens with: the epoch, which no
/// `SessionCryptoNotBefore` or `SessionCryptoMaxLifetime` accepts.
pub const STOCK_ORIGIN_MS: u64 = 0;

/// `SessionCryptoStockFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StockFormat {
    #[default]
    Open,
    Seal,
    Off,
}

/// The format a value was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ours,
    Stock,
}

impl Format {
    /// The word `SESSION_COOKIE_STATUS` gets for a value that opened.
    pub fn status(self) -> Status {
        match self {
            Self::Ours => Status::Ok,
            Self::Stock => Status::StockFormat,
        }
    }
}

/// Why a value did not open, in the format it was taken to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOpened {
    Ours(OpenError),
    Stock(StockOpenError),
    /// A stock-format value carries no origin: under
    /// `SessionCryptoNotBefore` it cannot show it began after.
    StockRevoked,
    /// Likewise under `SessionCryptoMaxLifetime`: it cannot show its age.
    StockLifetime,
}

impl NotOpened {
    /// The word `SESSION_COOKIE_STATUS` gets (docs/operations.md, "Status words").
    pub fn status(self) -> Status {
        match self {
            Self::Ours(e) => match e {
                OpenError::Empty => Status::Absent,
                OpenError::Expired { .. } => Status::Expired,
                OpenError::Lifetime { .. } => Status::Lifetime,
                OpenError::Revoked { .. } => Status::Revoked,
                OpenError::Forged | OpenError::OtherCookie | OpenError::NoContext => Status::Forged,
                OpenError::UnknownKey(_) => Status::UnknownKey,
                OpenError::TooLong { .. }
                | OpenError::NotBase64
                | OpenError::Truncated { .. }
                | OpenError::UnknownVersion(_)
                | OpenError::NotText => Status::Malformed,
            },
            Self::Stock(e) => match e {
                StockOpenError::MacMismatch | StockOpenError::Undecryptable => Status::Forged,
                StockOpenError::TooLong { .. }
                | StockOpenError::NotBase64
                | StockOpenError::TooShort { .. }
                | StockOpenError::NotWholeBlocks
                | StockOpenError::NotText => Status::Malformed,
            },
            Self::StockRevoked => Status::Revoked,
            Self::StockLifetime => Status::Lifetime,
        }
    }
}

impl fmt::Display for NotOpened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ours(e) => e.fmt(f),
            Self::Stock(e) => e.fmt(f),
            Self::StockRevoked => {
                f.write_str("stock format: carries no origin, refused under SessionCryptoNotBefore")
            }
            Self::StockLifetime => f.write_str(
                "stock format: carries no origin, refused under SessionCryptoMaxLifetime",
            ),
        }
    }
}

impl std::error::Error for NotOpened {}

/// `SessionCryptoFormatVersion`: the version of our format new values
/// get. Every version always opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatVersion {
    /// While nodes of an earlier build, which open version 2 only, share
    /// the sessions.
    V2,
    /// While nodes of the previous release, which open versions 2 and 3
    /// only, share the sessions. No session id: logging out cannot revoke.
    V3,
    #[default]
    V4,
}

/// How values are sealed and opened in one configuration context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy<'a> {
    pub stock: StockFormat,
    /// The version of our format values are sealed in.
    pub version: FormatVersion,
    /// `SessionCryptoCipher`: the cipher of stock-format values.
    pub cipher: StockCipher,
    /// `SessionCryptoMaxLifetime`, seconds.
    pub max_lifetime: Option<u64>,
    /// `SessionCryptoNotBefore`, Unix seconds.
    pub not_before: Option<u64>,
    /// `SessionCryptoContext`: empty for none.
    pub context: &'a [u8],
}

impl Policy<'_> {
    fn limits(&self, now: u64) -> Limits {
        Limits {
            now,
            max_lifetime: self.max_lifetime,
            not_before: self.not_before,
        }
    }
}

/// Opens `value` in whichever format it is in, as `policy` allows; `now` is
/// Unix seconds and `names` are as for our format's [`open`]. A stock-format
/// value has no origin of its own and no session id: it is refused where
/// `SessionCryptoNotBefore` or `SessionCryptoMaxLifetime` applies (it cannot
/// show when it began), except under `SessionCryptoStockFormat Seal`, where
/// stock's format is what this location itself writes; elsewhere it opens
/// with origin 0, the Unix epoch, which it keeps when we seal it in our
/// format, so that no limit on origins is stepped around by passing a
/// stock value through a location without one.
pub fn open_value(
    keyring: &Keyring,
    policy: Policy<'_>,
    value: &[u8],
    now: u64,
    names: &[&[u8]],
) -> Result<(Opened, Format), NotOpened> {
    let mut buf = Zeroizing::new(vec![0; open_capacity(value.len())]);
    let (text, stamp, format) = open_value_in(keyring, policy, value, now, names, &mut buf)?;
    Ok((Opened::in_buffer(buf, text, stamp), format))
}

/// [`open_value`] in `buf` (at least [`open_capacity`] bytes): the text is
/// `buf[range]`, then its stamp and format.
pub fn open_value_in(
    keyring: &Keyring,
    policy: Policy<'_>,
    value: &[u8],
    now: u64,
    names: &[&[u8]],
    buf: &mut [u8],
) -> Result<(Range<usize>, Stamp, Format), NotOpened> {
    let ours = match open_in(
        keyring,
        value,
        policy.limits(now),
        names,
        policy.context,
        buf,
    ) {
        Ok((text, stamp)) => return Ok((text, stamp, Format::Ours)),
        Err(e) => e,
    };
    let not_ours = matches!(
        ours,
        OpenError::NotBase64
            | OpenError::Truncated { .. }
            | OpenError::UnknownVersion(_)
            | OpenError::UnknownKey(_)
    );
    if policy.stock == StockFormat::Off || !not_ours {
        return Err(NotOpened::Ours(ours));
    }
    let sealing_stock = policy.stock == StockFormat::Seal;
    match open_stock(keyring.stock_keys(), policy.cipher, value) {
        Ok(_) if policy.not_before.is_some() && !sealing_stock => Err(NotOpened::StockRevoked),
        Ok(_) if policy.max_lifetime.is_some() && !sealing_stock => Err(NotOpened::StockLifetime),
        Ok(plaintext) => {
            // Stock's plaintext is shorter than its base64: it fits.
            buf[..plaintext.len()].copy_from_slice(&plaintext);
            let stamp = Stamp {
                not_after: 0,
                origin_ms: STOCK_ORIGIN_MS,
                session_id: None,
            };
            Ok((0..plaintext.len(), stamp, Format::Stock))
        }
        // Not stock's encoding either, or ours in all but the key (a value
        // of ours with no '-' or '_' can be valid standard base64 too):
        // say why it is not ours.
        Err(StockOpenError::NotBase64) => Err(NotOpened::Ours(ours)),
        Err(_) if matches!(ours, OpenError::UnknownKey(_)) => Err(NotOpened::Ours(ours)),
        Err(e) => Err(NotOpened::Stock(e)),
    }
}

/// A sealed value, ready to be written out as cookie-safe text: ours
/// before its base64url (in a `Vec`, or in the caller's memory), or
/// stock's, as text.
#[derive(Debug)]
pub enum Sealed<R = Vec<u8>> {
    Ours(R),
    Stock(String),
}

impl<R: AsRef<[u8]>> Sealed<R> {
    /// The length of the value's text.
    pub fn text_len(&self) -> usize {
        match self {
            Self::Ours(raw) => text_len(raw.as_ref().len()),
            Self::Stock(text) => text.len(),
        }
    }

    /// Writes the value's text into `out`, which holds exactly
    /// [`Sealed::text_len`] bytes: the httpd module's buffer in the
    /// request's memory, so the text is written once.
    pub fn write_text(&self, out: &mut [u8]) {
        match self {
            Self::Ours(raw) => write_text(raw.as_ref(), out),
            Self::Stock(text) => out.copy_from_slice(text.as_bytes()),
        }
    }

    /// The value's text.
    pub fn into_text(self) -> String {
        match self {
            Self::Ours(raw) => to_text(raw.as_ref()),
            Self::Stock(text) => text,
        }
    }
}

/// Seals `plaintext` with the first secret, in the format `policy` names.
/// `stamp` and `names` are for our format (stock's carries neither: stock
/// relies on the session's own `expiry` key, and binds no name).
pub fn seal_value(
    keyring: &Keyring,
    policy: Policy<'_>,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> Option<Result<Sealed, getrandom::Error>> {
    let mut raw = Vec::new();
    let sealed = seal_value_in(keyring, policy, plaintext, stamp, names, |len| {
        raw.resize(len, 0);
        &mut raw[..]
    })?;
    // Ours was written into `raw`: hand it over rather than copy it.
    Some(match sealed {
        Ok(Sealed::Ours(_)) => Ok(Sealed::Ours(raw)),
        Ok(Sealed::Stock(text)) => Ok(Sealed::Stock(text)),
        Err(e) => Err(e),
    })
}

/// [`seal_value`], our format written into the buffer `alloc` gives for
/// the length it is asked for (the httpd module's: request memory).
pub fn seal_value_in<'a>(
    keyring: &Keyring,
    policy: Policy<'_>,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    alloc: impl FnOnce(usize) -> &'a mut [u8],
) -> Option<Result<Sealed<&'a [u8]>, getrandom::Error>> {
    if policy.stock == StockFormat::Seal {
        let key = keyring.stock_keys().first()?;
        return Some(seal_stock(key, policy.cipher, plaintext).map(Sealed::Stock));
    }
    let key = keyring.sealing_key()?;
    let (version, seal): (u8, fn(_, _, _, _, _, &mut [u8]) -> _) = match policy.version {
        FormatVersion::V4 => (4, seal_into),
        FormatVersion::V3 => (3, seal_v3_into),
        FormatVersion::V2 => (2, seal_v2_into),
    };
    let out = alloc(raw_len(version, plaintext.len(), names));
    Some(
        seal(key, plaintext, stamp, names, policy.context, &mut *out).map(|()| Sealed::Ours(&*out)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"the secret of the format tests, 0123456789";
    const OTHER: &[u8] = b"another secret of the format tests, 012345";
    const NOW: u64 = 1_800_000_000;

    fn ring(secrets: &[&[u8]]) -> Keyring {
        let mut ring = Keyring::new();
        for s in secrets {
            ring.add(s).unwrap();
        }
        ring
    }

    fn policy(stock: StockFormat) -> Policy<'static> {
        Policy {
            stock,
            ..Policy::default()
        }
    }

    fn sealed(ring: &Keyring, stock: StockFormat) -> String {
        let stamp = Stamp {
            not_after: NOW + 60,
            origin_ms: (NOW - 10) * 1000,
            session_id: None,
        };
        seal_value(ring, policy(stock), b"user=ada", stamp, &[b"session"])
            .unwrap()
            .unwrap()
            .into_text()
    }

    fn text(got: Result<(Opened, Format), NotOpened>) -> Result<(Vec<u8>, Format), NotOpened> {
        got.map(|(o, f)| (o.plaintext.to_vec(), f))
    }

    #[test]
    fn open_reads_both_and_seals_ours() {
        let ring = ring(&[SECRET]);
        let ours = sealed(&ring, StockFormat::Open);
        let stock = sealed(&ring, StockFormat::Seal);
        for (value, format) in [(&ours, Format::Ours), (&stock, Format::Stock)] {
            let got = open_value(
                &ring,
                policy(StockFormat::Open),
                value.as_bytes(),
                NOW,
                &[b"session"],
            );
            assert_eq!(text(got), Ok((b"user=ada".to_vec(), format)));
        }
        // Seal mode opens both too.
        let got = open_value(
            &ring,
            policy(StockFormat::Seal),
            ours.as_bytes(),
            NOW,
            &[b"session"],
        );
        assert_eq!(got.unwrap().1, Format::Ours);
    }

    #[test]
    fn off_opens_ours_only() {
        let ring = ring(&[SECRET]);
        let stock = sealed(&ring, StockFormat::Seal);
        let got = open_value(
            &ring,
            policy(StockFormat::Off),
            stock.as_bytes(),
            NOW,
            &[b"session"],
        );
        assert!(matches!(got, Err(NotOpened::Ours(_))), "{got:?}");
    }

    #[test]
    fn stock_values_open_with_any_secret_of_the_ring() {
        let stock = sealed(&ring(&[OTHER]), StockFormat::Seal);
        let got = open_value(
            &ring(&[SECRET, OTHER]),
            policy(StockFormat::Open),
            stock.as_bytes(),
            NOW,
            &[],
        );
        assert_eq!(got.unwrap().1, Format::Stock);
    }

    #[test]
    fn a_value_of_ours_for_another_cookie_is_not_tried_as_stock() {
        let ring = ring(&[SECRET]);
        let ours = sealed(&ring, StockFormat::Open);
        let got = open_value(
            &ring,
            policy(StockFormat::Open),
            ours.as_bytes(),
            NOW,
            &[b"other"],
        );
        assert_eq!(got, Err(NotOpened::Ours(OpenError::OtherCookie)));
    }

    #[test]
    fn a_value_of_ours_under_an_unknown_key_says_so_even_if_it_reads_as_base64() {
        // Seal until a value has neither '-' nor '_' and a length that is a
        // multiple of 4: canonical in both alphabets.
        // 74 header bytes + 12 + 16 tag = 102 bytes: 136 characters.
        let old = ring(&[OTHER]);
        let stamp = Stamp {
            not_after: 0,
            origin_ms: NOW * 1000,
            session_id: None,
        };
        let value = (0..20_000)
            .map(|_| {
                seal_value(
                    &old,
                    policy(StockFormat::Open),
                    b"user=adams!!",
                    stamp,
                    &[b"session"],
                )
            })
            .map(|v| v.unwrap().unwrap().into_text())
            .find(|v| v.len() % 4 == 0 && !v.contains(['-', '_']))
            .expect("such a value within 20000 seals");
        let got = open_value(
            &ring(&[SECRET]),
            policy(StockFormat::Open),
            value.as_bytes(),
            NOW,
            &[b"session"],
        );
        assert!(
            matches!(got, Err(NotOpened::Ours(OpenError::UnknownKey(_)))),
            "{got:?}"
        );
    }

    #[test]
    fn a_forged_stock_value_reports_stock_reason() {
        let stock = sealed(&ring(&[OTHER]), StockFormat::Seal);
        let got = open_value(
            &ring(&[SECRET]),
            policy(StockFormat::Open),
            stock.as_bytes(),
            NOW,
            &[],
        );
        assert_eq!(got, Err(NotOpened::Stock(StockOpenError::MacMismatch)));
    }

    /// A stock value cannot show when it began: it opens with origin 0,
    /// which no origin limit accepts once we re-seal it, and it is refused
    /// where a limit applies, but where this location seals stock's format
    /// itself.
    #[test]
    fn stock_values_have_no_origin_to_show() {
        let ring = ring(&[SECRET]);
        let stock = sealed(&ring, StockFormat::Seal);
        let limits = |stock, max_lifetime, not_before| Policy {
            stock,
            max_lifetime,
            not_before,
            ..Policy::default()
        };
        let open = |policy| open_value(&ring, policy, stock.as_bytes(), NOW, &[]);
        let (opened, format) = open(limits(StockFormat::Open, None, None)).unwrap();
        assert_eq!(
            (opened.stamp.origin_ms, format),
            (STOCK_ORIGIN_MS, Format::Stock)
        );
        assert_eq!(
            open(limits(StockFormat::Open, None, Some(NOW - 60))),
            Err(NotOpened::StockRevoked)
        );
        assert_eq!(
            open(limits(StockFormat::Open, Some(3600), None)),
            Err(NotOpened::StockLifetime)
        );
        // Where stock's format is sealed, what was just sealed opens.
        assert!(open(limits(StockFormat::Seal, Some(3600), Some(NOW - 60))).is_ok());
        // Re-sealed in ours, the origin stays: refused by the limits.
        let ours = seal_value(
            &ring,
            Policy::default(),
            b"user=ada",
            Stamp {
                not_after: 0,
                origin_ms: opened.stamp.origin_ms,
                session_id: None,
            },
            &[b"session"],
        )
        .unwrap()
        .unwrap()
        .into_text();
        let reopened = open_value(
            &ring,
            limits(StockFormat::Open, None, Some(NOW - 60)),
            ours.as_bytes(),
            NOW,
            &[b"session"],
        );
        assert!(matches!(
            reopened,
            Err(NotOpened::Ours(OpenError::Revoked { origin: 0, .. }))
        ));
    }
}
