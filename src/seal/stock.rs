//! Stock `mod_session_crypto`'s format (httpd 2.4 with APR's openssl
//! driver), so sessions sealed by the stock module still open after a
//! switch to ours, and, in a migration mode, so stock can open ours.
//!
//! ```text
//! value = base64-std-padded( mac (8) || salt (16) || iv (block) || ciphertext )
//! key   = PBKDF2-HMAC-SHA1(passphrase, salt, 4096, cipher key length)
//! ciphertext = CBC with PKCS#7 padding of the session text
//! mac   = SipHash-2-4(key = MD5(passphrase), salt || iv || ciphertext), little endian
//! ```
//!
//! - The MAC is checked, in constant time, before anything is decrypted, so
//!   CBC's padding is never an oracle for a forger (CVE-2016-0736).
//! - The MAC key does not depend on the salt, so a forged value is refused
//!   without PBKDF2: a client cannot make us run 4096 iterations per
//!   passphrase by sending garbage. Only an authentic value costs PBKDF2.
//! - The MAC does not cover the cipher: a value opened under the wrong
//!   `SessionCryptoCipher` passes the MAC and fails (or, rarely, decrypts to
//!   garbage) afterwards; hence the separate `Undecryptable` error.
//! - Stock writes canonical padded base64; we accept nothing else, so each
//!   value has exactly one encoding.

use std::fmt;
use std::hash::Hasher as _;

use aes::{Aes128, Aes192, Aes256};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use des::TdesEde3;
use md5::{Digest, Md5};
use siphasher::sip::SipHasher24;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::key_pages::Paged;

const MAC_LEN: usize = 8;
const SALT_LEN: usize = 16;
/// Fixed by stock (APR's `apr_crypto_passphrase` call in mod_session_crypto).
const PBKDF2_ITERATIONS: u32 = 4096;
/// Longest value (in base64 characters) we try to decode, as for our own
/// format: far above any cookie, far below anything costly.
const MAX_STOCK_LEN: usize = 16 * 1024;

/// `SessionCryptoCipher` values stock's openssl driver knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StockCipher {
    Aes128,
    Aes192,
    #[default]
    Aes256,
    TripleDes,
}

impl StockCipher {
    pub const NAMES: &'static [&'static str] = &["aes128", "aes192", "aes256", "3des192"];
    const ALL: [Self; 4] = [Self::Aes128, Self::Aes192, Self::Aes256, Self::TripleDes];

    /// Exact, case-sensitive: APR looks the name up in a hash of these.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128 => "aes128",
            Self::Aes192 => "aes192",
            Self::Aes256 => "aes256",
            Self::TripleDes => "3des192",
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 | Self::TripleDes => 24,
            Self::Aes256 => 32,
        }
    }

    /// Block size, which is also the IV length in CBC mode.
    fn block_len(self) -> usize {
        match self {
            Self::TripleDes => 8,
            _ => 16,
        }
    }
}

/// One passphrase's material for the stock format, on pages of its own
/// (key_pages.rs), wiped when dropped.
#[derive(Clone)]
pub struct StockKey {
    material: Paged<StockMaterial>,
}

/// Stock's key derivation is salted per value, so what PBKDF2 needs is
/// kept: the HMAC-SHA1 key, which is the passphrase itself up to SHA-1's
/// block of 64 bytes and the SHA-1 of a longer one (HMAC hashes a longer
/// key first, RFC 2104: PBKDF2 gives the same keys with either).
#[derive(Clone)]
struct StockMaterial {
    mac_key: [u8; 16],
    hmac_key: [u8; HMAC_BLOCK],
    hmac_len: usize,
}

/// SHA-1's block size: HMAC-SHA1 keys up to it are used as they are.
const HMAC_BLOCK: usize = 64;

impl Drop for StockMaterial {
    fn drop(&mut self) {
        self.mac_key.zeroize();
        self.hmac_key.zeroize();
    }
}

impl StockKey {
    pub fn from_passphrase(p: &[u8]) -> Self {
        let material = Paged::derived(|| {
            let mut m = StockMaterial {
                mac_key: Md5::digest(p).into(),
                hmac_key: [0; HMAC_BLOCK],
                hmac_len: p.len().min(HMAC_BLOCK),
            };
            if p.len() > HMAC_BLOCK {
                m.hmac_key[..20].copy_from_slice(&sha1::Sha1::digest(p));
                m.hmac_len = 20;
            } else {
                m.hmac_key[..p.len()].copy_from_slice(p);
            }
            m
        });
        Self { material }
    }
}

/// Never prints the passphrase or anything derived from it.
impl fmt::Debug for StockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StockKey(..)")
    }
}

/// Why a stock value did not open. None carries secret material or
/// plaintext; all of them mean "no session".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockOpenError {
    TooLong {
        len: usize,
    },
    NotBase64,
    TooShort {
        len: usize,
    },
    NotWholeBlocks,
    MacMismatch,
    Undecryptable,
    /// Decrypted to text with a NUL byte, which no session can hold.
    NotText,
}

impl fmt::Display for StockOpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stock format: ")?;
        match self {
            Self::TooLong { len } => write!(
                f,
                "value of {len} characters is longer than {MAX_STOCK_LEN}"
            ),
            Self::NotBase64 => f.write_str("value is not canonical padded base64"),
            Self::TooShort { len } => write!(f, "value of {len} bytes is too short"),
            Self::NotWholeBlocks => f.write_str("ciphertext is not a whole number of blocks"),
            Self::MacMismatch => {
                f.write_str("no passphrase's MAC matches (tampered, or another passphrase)")
            }
            Self::Undecryptable => {
                f.write_str("MAC matched but decryption failed (wrong SessionCryptoCipher?)")
            }
            Self::NotText => f.write_str("decrypted value is not text"),
        }
    }
}

impl std::error::Error for StockOpenError {}

/// Opens a value in stock's format with the first key whose MAC matches.
pub fn open_stock(
    keys: &[StockKey],
    cipher: StockCipher,
    value: &[u8],
) -> Result<Zeroizing<Vec<u8>>, StockOpenError> {
    let raw = decode(value, cipher)?;
    let (mac, rest) = raw.split_at(MAC_LEN);
    let (salt, after_salt) = rest.split_at(SALT_LEN);
    let (iv, ciphertext) = after_salt.split_at(cipher.block_len());
    let mut err = StockOpenError::MacMismatch;
    for key in keys {
        if !bool::from(compute_mac(key, rest).ct_eq(mac)) {
            continue;
        }
        // Authentic for this passphrase (or a 2^-64 accident): now, and
        // only now, is PBKDF2 worth running.
        let k = derive_key(key, cipher, salt);
        match with_block_cipher!(cipher, decrypt(&k, iv, ciphertext)) {
            Some(text) if !text.contains(&0) => return Ok(text),
            Some(_) => err = StockOpenError::NotText,
            None => err = StockOpenError::Undecryptable,
        }
    }
    Err(err)
}

/// Seals `plaintext` in stock's format with `key`, fresh salt and IV from
/// the OS (no generator state in our process, so forked children never
/// share a sequence).
pub fn seal_stock(
    key: &StockKey,
    cipher: StockCipher,
    plaintext: &[u8],
) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    let mut iv = [0u8; 16];
    getrandom::fill(&mut salt)?;
    getrandom::fill(&mut iv)?;
    let iv = &iv[..cipher.block_len()];
    Ok(seal_stock_with(key, cipher, salt, iv, plaintext))
}

/// Deterministic sealing for test vectors only: reusing a salt and IV
/// reuses a key and leaks equal plaintext prefixes.
///
/// # Panics
/// If `iv` is not the cipher's block length (16, or 8 for 3DES).
fn seal_stock_with(
    key: &StockKey,
    cipher: StockCipher,
    salt: [u8; SALT_LEN],
    iv: &[u8],
    plaintext: &[u8],
) -> String {
    assert_eq!(iv.len(), cipher.block_len(), "IV length for {cipher:?}");
    let k = derive_key(key, cipher, &salt);
    let ciphertext = with_block_cipher!(cipher, encrypt(&k, iv, plaintext));
    let rest = [&salt[..], iv, &ciphertext].concat();
    STANDARD.encode([&compute_mac(key, &rest)[..], &rest].concat())
}

/// Strict decoding plus the layout's length checks. base64's `STANDARD`
/// engine requires canonical padding and zero trailing bits, and refuses
/// whitespace and the URL-safe alphabet.
fn decode(value: &[u8], cipher: StockCipher) -> Result<Vec<u8>, StockOpenError> {
    if value.len() > MAX_STOCK_LEN {
        return Err(StockOpenError::TooLong { len: value.len() });
    }
    let raw = STANDARD
        .decode(value)
        .map_err(|_| StockOpenError::NotBase64)?;
    let block = cipher.block_len();
    let header = MAC_LEN + SALT_LEN + block;
    if raw.len() < header + block {
        return Err(StockOpenError::TooShort { len: raw.len() });
    }
    if (raw.len() - header) % block != 0 {
        return Err(StockOpenError::NotWholeBlocks);
    }
    Ok(raw)
}

fn compute_mac(key: &StockKey, data: &[u8]) -> [u8; MAC_LEN] {
    let mut h = SipHasher24::new_with_key(&key.material.mac_key);
    h.write(data);
    h.finish().to_le_bytes()
}

#[cfg(test)]
thread_local! {
    /// PBKDF2 runs on this thread, so tests can prove forgeries skip it.
    static PBKDF2_RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The only PBKDF2 call: the expensive step every path must earn. The
/// key is the first `key_len` bytes of PBKDF2's output, as stock's.
fn derive_key(key: &StockKey, cipher: StockCipher, salt: &[u8]) -> Zeroizing<Vec<u8>> {
    #[cfg(test)]
    PBKDF2_RUNS.with(|n| n.set(n.get() + 1));
    let mut k = Zeroizing::new(vec![0u8; cipher.key_len()]);
    let m = &key.material;
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&m.hmac_key[..m.hmac_len], salt, PBKDF2_ITERATIONS, &mut k);
    k
}

/// Calls the generic `$run::<C>(..)` with `cipher`'s block cipher as `C`.
macro_rules! with_block_cipher {
    ($cipher:expr, $run:ident($($arg:expr),*)) => {
        match $cipher {
            StockCipher::Aes128 => $run::<Aes128>($($arg),*),
            StockCipher::Aes192 => $run::<Aes192>($($arg),*),
            StockCipher::Aes256 => $run::<Aes256>($($arg),*),
            StockCipher::TripleDes => $run::<TdesEde3>($($arg),*),
        }
    };
}
use with_block_cipher;

fn encrypt<C: BlockCipherEncrypt + KeyInit>(k: &[u8], iv: &[u8], pt: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<C>::new_from_slices(k, iv)
        .expect("key and IV lengths come from StockCipher")
        .encrypt_padded_vec::<Pkcs7>(pt)
}

/// `None` when the padding is bad: the only failure left once the MAC and
/// the lengths have been checked.
fn decrypt<C>(k: &[u8], iv: &[u8], ct: &[u8]) -> Option<Zeroizing<Vec<u8>>>
where
    C: BlockCipherDecrypt + KeyInit,
{
    cbc::Decryptor::<C>::new_from_slices(k, iv)
        .expect("key and IV lengths come from StockCipher")
        .decrypt_padded_vec::<Pkcs7>(ct)
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::StockCipher::*;
    use super::StockOpenError::*;
    use super::*;

    const PASS: &[u8] = b"stock passphrase";
    const TEXT: &[u8] = b"user=alice&expiry=1800000000000000";
    const ALL: [StockCipher; 4] = StockCipher::ALL;

    /// Fixed vectors (in `ALL`'s order) from tests/vectors/stock_vector.py:
    /// hashlib, `cryptography` and a pure-Python SipHash, sharing nothing
    /// with the code above. PASS, TEXT, salt 00..0f, IV a0 a1 ...
    const VECTORS: [&str; 4] = [
        "cCLn9+6lN3kAAQIDBAUGBwgJCgsMDQ4PoKGio6SlpqeoqaqrrK2urzdxAdiIr1227t99lA2RmvGRHS0Ic9y2q1pBI0EocYTZHJ81JHJQYSCFAyIPLvhqFw==",
        "O43t1kyo630AAQIDBAUGBwgJCgsMDQ4PoKGio6SlpqeoqaqrrK2ur22oW/1n14yNHB0/XpgY45mhatK7tpRQw5rodr/tknNYaj+Tx6hsvL84KTLiof273w==",
        "iacCLfoyQrcAAQIDBAUGBwgJCgsMDQ4PoKGio6SlpqeoqaqrrK2ur5wdg5hP3UEeLGnI+x54AWZH1R4UugwXoE8PRi/ivFQj4IaQc5obrMiFl/7UlmJGKQ==",
        "HqkQFWecB68AAQIDBAUGBwgJCgsMDQ4PoKGio6SlpqfjpNRIDl/CYpBQ95KebhNY62sCixAvJHQXYAtVWYQpqqlXrJgXSfqZ",
    ];

    fn runs() -> u64 {
        PBKDF2_RUNS.with(|n| n.get())
    }

    fn key() -> StockKey {
        StockKey::from_passphrase(PASS)
    }

    fn open(cipher: StockCipher, value: &str) -> Result<Vec<u8>, StockOpenError> {
        open_stock(&[key()], cipher, value.as_bytes()).map(|p| p.to_vec())
    }

    #[test]
    fn siphash_reference_vector() {
        let mut h = SipHasher24::new_with_key(&std::array::from_fn(|i| i as u8));
        h.write(&(0..15).collect::<Vec<u8>>());
        assert_eq!(h.finish(), 0xa129ca6149be45e5);
    }

    #[test]
    fn python_vectors() {
        for (cipher, vector) in ALL.into_iter().zip(VECTORS) {
            let iv: Vec<u8> = (0xa0..0xa0 + cipher.block_len() as u8).collect();
            let salt = std::array::from_fn(|i| i as u8);
            assert_eq!(seal_stock_with(&key(), cipher, salt, &iv, TEXT), vector);
            assert_eq!(open(cipher, vector), Ok(TEXT.to_vec()));
        }
    }

    #[test]
    fn names() {
        for (cipher, name) in ALL.into_iter().zip(StockCipher::NAMES) {
            assert_eq!(
                (StockCipher::from_name(name), cipher.name()),
                (Some(cipher), *name)
            );
        }
        for bad in ["AES256", "aes256-gcm", "des", ""] {
            assert_eq!(StockCipher::from_name(bad), None);
        }
        assert_eq!(StockCipher::default(), Aes256);
    }

    #[test]
    fn pbkdf2_runs_with_the_passphrase_it_was_given() {
        // Keys of every length around SHA-1's block: what is kept must
        // give PBKDF2's keys for the passphrase itself.
        for len in [1, 20, 63, 64, 65, 200, 5000] {
            let pass = vec![b'p'; len];
            let salt = [9u8; 16];
            let mut want = vec![0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&pass, &salt, PBKDF2_ITERATIONS, &mut want);
            let got = derive_key(
                &StockKey::from_passphrase(&pass),
                StockCipher::Aes256,
                &salt,
            );
            assert_eq!(*got, want, "passphrase of {len} bytes");
        }
    }

    #[test]
    fn round_trips_with_a_passphrase_list() {
        let other = StockKey::from_passphrase(b"older passphrase");
        for cipher in ALL {
            for text in [&b""[..], b"a=1", &[b'x'; 1000][..]] {
                let s = seal_stock(&key(), cipher, text).unwrap();
                assert_eq!(open(cipher, &s), Ok(text.to_vec()));
                // The first passphrase's MAC fails without PBKDF2; only the
                // second one's key is derived.
                let before = runs();
                let got = open_stock(&[other.clone(), key()], cipher, s.as_bytes());
                assert_eq!(
                    (got.map(|p| p.to_vec()), runs() - before),
                    (Ok(text.to_vec()), 1)
                );
                let only_other = std::slice::from_ref(&other);
                assert_eq!(
                    open_stock(only_other, cipher, s.as_bytes()),
                    Err(MacMismatch)
                );
            }
        }
        assert_eq!(
            open_stock(&[], Aes256, VECTORS[2].as_bytes()),
            Err(MacMismatch)
        );
    }

    #[test]
    fn every_changed_byte_fails_the_mac_without_pbkdf2() {
        for (cipher, vector) in ALL.into_iter().zip(VECTORS) {
            let mut raw = STANDARD.decode(vector).unwrap();
            let before = runs();
            for i in 0..raw.len() {
                for flip in [0x01, 0x80, 0xff] {
                    raw[i] ^= flip;
                    let t = STANDARD.encode(&raw);
                    let got = open_stock(&[key(), key()], cipher, t.as_bytes());
                    assert_eq!(got, Err(MacMismatch), "{cipher:?} byte {i}");
                    raw[i] ^= flip;
                }
            }
            assert_eq!(runs(), before, "a forged value ran PBKDF2");
        }
    }

    /// The MAC does not cover the cipher, so it matches under any name and
    /// the failure comes after PBKDF2. In general about 1 in 256 such opens
    /// passes the padding check and gives garbage; for these fixed vectors
    /// the outcome is fixed, so it is asserted exactly.
    #[test]
    fn wrong_cipher_fails_after_the_mac() {
        let (aes256, tdes) = (VECTORS[2], VECTORS[3]);
        for (cipher, value) in [
            (Aes128, aes256),
            (Aes192, aes256),
            (TripleDes, aes256),
            (Aes256, tdes),
        ] {
            let before = runs();
            assert_eq!(open(cipher, value), Err(Undecryptable), "{cipher:?}");
            assert_eq!(runs() - before, 1);
        }
    }

    #[test]
    fn nul_in_plaintext_is_refused() {
        let s = seal_stock(&key(), Aes256, b"a=1\0b=2").unwrap();
        assert_eq!(open(Aes256, &s), Err(NotText));
    }

    #[test]
    fn encoding_is_strict() {
        let v = VECTORS[2];
        assert!(v.contains('+') && v.contains('/') && v.ends_with("=="));
        let url_safe = v.replace('+', "-").replace('/', "_");
        for bad in [
            url_safe.clone(),
            v.trim_end_matches('=').to_string(),
            url_safe.trim_end_matches('=').to_string(),
            format!(" {v}"),
            format!("{v}\n"),
            format!("{}\r\n{}", &v[..64], &v[64..]),
            format!("{v}="),
        ] {
            assert_eq!(open(Aes256, &bad), Err(NotBase64), "{bad:?}");
        }
        let len = MAX_STOCK_LEN + 4;
        assert_eq!(open(Aes256, &"A".repeat(len)), Err(TooLong { len }));
    }

    #[test]
    fn lengths_are_checked() {
        // Smallest layouts: 8 + 16 + 16 + 16 for AES, 8 + 16 + 8 + 8 for 3DES.
        for (cipher, min) in [(Aes256, 56), (TripleDes, 40)] {
            let zeros = |len| STANDARD.encode(vec![0; len]);
            for len in [0, 1, min - 8, min - 1] {
                assert_eq!(open(cipher, &zeros(len)), Err(TooShort { len }));
            }
            assert_eq!(open(cipher, &zeros(min)), Err(MacMismatch));
            assert_eq!(open(cipher, &zeros(min + 1)), Err(NotWholeBlocks));
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", key());
        assert!(
            !shown.contains("passphrase") && !shown.contains("mac_key"),
            "{shown}"
        );
    }
}
