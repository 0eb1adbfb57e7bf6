//! Keys for sealing, derived once from the admin's secrets when the
//! configuration is read, never per request.
//!
//! Each secret goes through Argon2id (kdf.rs) and HKDF-Extract (SHA-256)
//! once; the resulting key gives a public 4-byte key id (so opening picks
//! the right key without trying them all) and, per process, an AES-256-GCM
//! key from HKDF-Expand over that process's random salt (format v3,
//! process_key.rs). Values of format v2 have a key and nonce of their own,
//! from HKDF-Expand over their salt. Key material is wiped when dropped.
//!
//! Each secret also keeps what stock `mod_session_crypto`'s format needs
//! ([`StockKey`]): its values are opened, and during a switch sealed, with
//! the same passphrases.
//!
//! Rotation: the first secret seals, every secret opens.

use std::fmt;

use std::sync::Arc;

use aes_gcm::KeyInit;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::kdf::{Stretched, stretch};
use super::key_pages::Paged;
use super::process_key::{Gcm, ProcessCipher, ProcessKeys, SALT_LEN, forks};
use super::stock::StockKey;

/// Length of the key id stored in the clear in every sealed value.
pub const KEY_ID_LEN: usize = 4;

/// Domain separation: a secret shared with another application (or another
/// version of this format) gives unrelated keys here.
const EXTRACT_SALT: &[u8] = b"mod_session_cookie_rs session_crypto v2";

/// Secrets shorter than this get a startup warning: the work factor slows
/// guessing, it does not make a guessable passphrase a good key.
pub const MIN_SECRET_LEN: usize = 32;

/// One secret, derived.
#[derive(Clone)]
pub struct SealKey {
    id: [u8; KEY_ID_LEN],
    prk: Paged<Zeroizing<[u8; 32]>>,
    /// This process's keys under this secret (format v3); clones share them.
    process: Arc<ProcessKeys>,
}

impl SealKey {
    /// Derives the key of `secret`, paying the work factor.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self::from_stretched(&stretch(secret))
    }

    /// Derives the key of a secret already through the work factor.
    pub fn from_stretched(stretched: &Stretched) -> Self {
        let mut id = [0u8; KEY_ID_LEN];
        let prk = Paged::derived(|| {
            let (prk, hkdf) = Hkdf::<Sha256>::extract(Some(EXTRACT_SALT), stretched.as_ref());
            hkdf.expand(b"key id", &mut id)
                .expect("4 bytes is a valid HKDF length");
            Zeroizing::new(<[u8; 32]>::from(prk))
        });
        Self {
            id,
            prk,
            process: Arc::default(),
        }
    }

    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        self.id
    }

    /// The AES-256-GCM key and nonce of the format-v2 value with `salt`.
    pub(super) fn value_key(&self, salt: &[u8]) -> Zeroizing<[u8; 44]> {
        let mut okm = Zeroizing::new([0u8; 44]);
        Hkdf::<Sha256>::from_prk(self.prk.as_ref())
            .expect("32 bytes is a valid PRK")
            .expand_multi_info(&[b"value key", salt], okm.as_mut())
            .expect("44 bytes is a valid HKDF length");
        okm
    }

    /// The AES-256-GCM cipher of the process key with `salt` (format v3).
    pub(super) fn process_cipher(&self, salt: &[u8; SALT_LEN]) -> Gcm {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::from_prk(self.prk.as_ref())
            .expect("32 bytes is a valid PRK")
            .expand_multi_info(&[b"process key", salt], key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        Gcm::new((&*key).into())
    }

    /// The process key to seal the next value with, and its counter.
    pub(super) fn sealing(&self) -> Result<(Arc<ProcessCipher>, u64), getrandom::Error> {
        self.process
            .sealing(forks(), |salt| self.process_cipher(salt))
    }

    /// The process key of values sealed with `salt`, and whether it was
    /// known (else it was derived now, and is not kept until
    /// [`SealKey::remember`]).
    pub(super) fn opening(&self, salt: &[u8; SALT_LEN]) -> (Arc<ProcessCipher>, bool) {
        match self.process.cached(salt) {
            Some(cipher) => (cipher, true),
            None => (
                Arc::new(ProcessCipher {
                    salt: *salt,
                    gcm: Paged::derived(|| self.process_cipher(salt)),
                }),
                false,
            ),
        }
    }

    /// Keeps a process key a value authenticated under.
    pub(super) fn remember(&self, cipher: Arc<ProcessCipher>) {
        self.process.remember(cipher);
    }
}

/// Never prints key material: only the public id.
impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealKey({:02x?})", self.id)
    }
}

/// Something worth a startup warning about a secret (not an error: the
/// configuration still works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretWarning {
    Short { len: usize },
}

impl fmt::Display for SecretWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Short { len } => write!(
                f,
                "a secret of {len} characters is weak; use at least {MIN_SECRET_LEN} random \
                 characters (for example: openssl rand -base64 32)"
            ),
        }
    }
}

/// Why a secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringError {
    Empty,
    /// Same key id as an earlier secret: the same secret given twice (or,
    /// with odds of 2^-32, a colliding one). Opening could not tell them apart.
    Duplicate,
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the secret cannot be empty"),
            Self::Duplicate => f.write_str("this secret is given twice"),
        }
    }
}

impl std::error::Error for KeyringError {}

/// The secrets of one configuration context, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<SealKey>,
    /// The same secrets, for stock's format, in the same order; none
    /// once [`Keyring::drop_stock_keys`] ran.
    stock: Vec<StockKey>,
    /// Whether stock's format is off where these secrets are set.
    stock_dropped: bool,
}

impl Keyring {
    pub fn new() -> Self {
        Self::default()
    }

    /// Derives and appends a secret. Returns a warning for a weak one.
    pub fn add(&mut self, secret: &[u8]) -> Result<Option<SecretWarning>, KeyringError> {
        self.add_with(secret, stretch)
    }

    /// [`Keyring::add`], with the work factor paid by `stretch` (which may
    /// remember what it paid for).
    pub fn add_with(
        &mut self,
        secret: &[u8],
        stretch: impl FnOnce(&[u8]) -> Stretched,
    ) -> Result<Option<SecretWarning>, KeyringError> {
        if secret.is_empty() {
            return Err(KeyringError::Empty);
        }
        let key = SealKey::from_stretched(&stretch(secret));
        if self.find(key.id()).is_some() {
            return Err(KeyringError::Duplicate);
        }
        self.keys.push(key);
        if !self.stock_dropped {
            self.stock.push(StockKey::from_passphrase(secret));
        }

        Ok((secret.len() < MIN_SECRET_LEN).then_some(SecretWarning::Short { len: secret.len() }))
    }

    /// Wipes and drops what stock's format needs (each passphrase and its
    /// MD5), now and for secrets added later: where stock's format is off,
    /// a passphrase kept in memory is only a risk.
    pub fn drop_stock_keys(&mut self) {
        self.stock.clear();
        self.stock_dropped = true;
    }

    /// The key new values are sealed with: the first secret.
    pub fn sealing_key(&self) -> Option<&SealKey> {
        self.keys.first()
    }

    /// Every secret, for stock's format: the first seals, all open.
    pub fn stock_keys(&self) -> &[StockKey] {
        &self.stock
    }

    /// Each secret's key id, in the order given.
    pub fn ids(&self) -> impl Iterator<Item = [u8; KEY_ID_LEN]> + '_ {
        self.keys.iter().map(SealKey::id)
    }

    /// The key with this id, if it is one of ours.
    pub fn find(&self, id: [u8; KEY_ID_LEN]) -> Option<&SealKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn derivation_is_deterministic_and_secret_specific() {
        let a = SealKey::from_secret(LONG);
        assert_eq!(a.id(), SealKey::from_secret(LONG).id());
        assert_ne!(a.id(), SealKey::from_secret(b"another secret").id());
        assert_eq!(
            a.value_key(&[1; 16]),
            SealKey::from_secret(LONG).value_key(&[1; 16])
        );
        assert_ne!(a.value_key(&[1; 16]), a.value_key(&[2; 16]));
    }

    #[test]
    fn first_secret_seals_all_open() {
        let mut ring = Keyring::new();
        ring.add(LONG).unwrap();
        ring.add(b"an older secret, still accepted for opening")
            .unwrap();
        let first = SealKey::from_secret(LONG).id();
        assert_eq!(ring.sealing_key().unwrap().id(), first);
        let old = SealKey::from_secret(b"an older secret, still accepted for opening").id();
        assert!(ring.find(old).is_some());
    }

    #[test]
    fn weak_empty_and_duplicate_secrets() {
        let mut ring = Keyring::new();
        assert_eq!(
            ring.add(b"short"),
            Ok(Some(SecretWarning::Short { len: 5 }))
        );
        assert_eq!(ring.add(b""), Err(KeyringError::Empty));
        assert_eq!(ring.add(b"short"), Err(KeyringError::Duplicate));
        assert_eq!(ring.add(LONG), Ok(None));
    }

    #[test]
    fn dropped_stock_keys_stay_dropped() {
        let mut ring = Keyring::new();
        ring.add(LONG).unwrap();
        assert_eq!(ring.stock_keys().len(), 1);
        ring.drop_stock_keys();
        ring.add(b"an older secret, still accepted for opening")
            .unwrap();
        assert!(ring.stock_keys().is_empty());
        assert_eq!(ring.len(), 2);
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let shown = format!("{:?}", SealKey::from_secret(LONG));
        assert!(shown.starts_with("SealKey(") && shown.len() < 40, "{shown}");
    }
}
