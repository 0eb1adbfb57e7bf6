//! `SessionCryptoCipher`: the names the stock module's configs use that we
//! honour. Both mean AES-256-GCM; anything else is a configuration error,
//! so an admin who asked for another cipher is told rather than ignored.

use std::fmt;

/// Names accepted by `SessionCryptoCipher` (stock's default is `aes256`).
pub const SUPPORTED: &[&str] = &["aes256", "aes256-gcm"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherError(String);

impl fmt::Display for CipherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cipher '{}' is not supported; supported: {} (both are AES-256-GCM)",
            self.0,
            SUPPORTED.join(", ")
        )
    }
}

pub fn check_cipher(name: &str) -> Result<(), CipherError> {
    if SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        Ok(())
    } else {
        Err(CipherError(name.escape_default().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes256_names_are_accepted() {
        assert!(check_cipher("aes256").is_ok());
        assert!(check_cipher("AES256-GCM").is_ok());
    }

    #[test]
    fn other_ciphers_are_refused_with_the_list() {
        let err = check_cipher("aes128").unwrap_err().to_string();
        assert!(
            err.contains("'aes128'") && err.contains("aes256, aes256-gcm"),
            "{err}"
        );
    }
}
