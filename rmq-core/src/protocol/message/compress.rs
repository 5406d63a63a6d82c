//! zlib (RFC 1950) body compression, as producers apply it above `compressMsgBodyOverHowmuch`.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use crate::protocol::MessageDecodeError;

/// Compresses with zlib at `level` (RocketMQ's default is 5).
pub fn compress(body: &[u8], level: u32) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(body.len() / 2 + 16),
        Compression::new(level),
    );
    // Writing into a Vec cannot fail.
    enc.write_all(body).expect("writing to a Vec is infallible");
    enc.finish().expect("finishing into a Vec is infallible")
}

/// Inflates a zlib body, refusing output over `limit` bytes.
pub fn decompress(body: &[u8], limit: usize) -> Result<Vec<u8>, MessageDecodeError> {
    let mut out = Vec::with_capacity(body.len() * 4);
    ZlibDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| MessageDecodeError::Decompress(e.to_string()))?;
    if out.len() > limit {
        return Err(MessageDecodeError::Decompress(format!(
            "inflated body exceeds {limit} bytes"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let body = vec![b'x'; 10_240];
        let c = compress(&body, 5);
        assert_eq!(&c[..1], &[0x78]);
        assert!(c.len() < 100);
        assert_eq!(decompress(&c, 1 << 20).unwrap(), body);
        assert!(decompress(&c, 100).is_err());
        assert!(decompress(b"garbage", 100).is_err());
    }
}
