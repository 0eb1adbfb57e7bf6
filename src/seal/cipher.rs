//! `SessionCryptoCipher`: the cipher of values in stock
//! `mod_session_crypto`'s format, named as stock's openssl driver names
//! them. Our own format is always AES-256-GCM; the directive matters for
//! opening what stock sealed and, with `SessionCryptoStockFormat Seal`, for
//! sealing what stock nodes must open. Any other name fails configtest, so
//! an admin who asked for another cipher is told rather than ignored.

use std::fmt;

use super::stock::StockCipher;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherError(String);

impl fmt::Display for CipherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cipher '{}' is not supported; supported: {}",
            self.0,
            StockCipher::NAMES.join(", ")
        )
    }
}

pub fn parse_cipher(name: &str) -> Result<StockCipher, CipherError> {
    StockCipher::from_name(name).ok_or_else(|| CipherError(name.escape_default().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_driver_names_are_accepted() {
        for name in StockCipher::NAMES {
            assert_eq!(parse_cipher(name).unwrap().name(), *name);
        }
    }

    #[test]
    fn other_ciphers_are_refused_with_the_list() {
        let err = parse_cipher("aes256-gcm").unwrap_err().to_string();
        assert_eq!(
            err,
            "cipher 'aes256-gcm' is not supported; supported: aes128, aes192, aes256, 3des192"
        );
    }
}
