//! A sealed value's text: unpadded base64url, decoded strictly and within
//! [`MAX_SEALED_LEN`], so that each value has exactly one encoding.

use base64_simd::{Out, URL_SAFE_NO_PAD as TEXT};
use zeroize::Zeroizing;

use super::{MAX_SEALED_LEN, OpenError};

/// The length of `raw_len` bytes in unpadded base64url.
pub fn text_len(raw_len: usize) -> usize {
    TEXT.encoded_length(raw_len)
}

/// Writes `raw` in unpadded base64url into `out`, which holds exactly
/// [`text_len`] bytes.
pub fn write_text(raw: &[u8], out: &mut [u8]) {
    let written = TEXT.encode(raw, Out::from_slice(out));
    debug_assert_eq!(written.len(), out.len());
}

/// `raw` in unpadded base64url.
pub fn to_text(raw: &[u8]) -> String {
    TEXT.encode_type::<String>(raw)
}

/// The most bytes opening a value of `len` characters can need (its
/// decoded length, in either format): what the buffer of
/// [`open_in`](super::open_in) and [`crate::seal::open_value_in`] must hold.
pub fn open_capacity(len: usize) -> usize {
    len / 4 * 3 + 3
}

/// Decodes a sealed value's base64url, strictly, within the size cap, into
/// `buf`; returns the decoded length.
pub(super) fn decode_into(sealed: &[u8], buf: &mut [u8]) -> Result<usize, OpenError> {
    if sealed.is_empty() {
        return Err(OpenError::Empty);
    }
    if sealed.len() > MAX_SEALED_LEN {
        return Err(OpenError::TooLong { len: sealed.len() });
    }
    let len = TEXT
        .decoded_length(sealed)
        .map_err(|_| OpenError::NotBase64)?;
    TEXT.decode(sealed, Out::from_slice(&mut buf[..len]))
        .map_err(|_| OpenError::NotBase64)?;
    Ok(len)
}

/// Decodes a sealed value's base64url, strictly, within the size cap, into
/// memory that is wiped when dropped.
pub fn decode(sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let mut raw = Zeroizing::new(vec![0; open_capacity(sealed.len())]);
    let len = decode_into(sealed, &mut raw)?;
    raw.truncate(len);
    Ok(raw)
}
