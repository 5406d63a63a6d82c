//! The producer batch body of SEND_BATCH_MESSAGE (320).
//!
//! ```text
//! repeated: TOTALSIZE:i32 MAGICCODE:i32(0) BODYCRC:i32(0) FLAG:i32 BODYLEN:i32 BODY PROPLEN:i16 PROPERTIES
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::MessageDecodeError;

/// One message inside a batch body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub flag: i32,
    pub body: Bytes,
    pub properties: String,
}

/// The encoded size of one entry.
pub fn batch_entry_size(body_len: usize, properties_len: usize) -> usize {
    4 + 4 + 4 + 4 + 4 + body_len + 2 + properties_len
}

/// Appends one entry.
pub fn encode_batch_entry(flag: i32, body: &[u8], properties: &str, dst: &mut BytesMut) {
    dst.put_i32(batch_entry_size(body.len(), properties.len()) as i32);
    dst.put_i32(0);
    dst.put_i32(0);
    dst.put_i32(flag);
    dst.put_i32(body.len() as i32);
    dst.put_slice(body);
    dst.put_i16(properties.len() as i16);
    dst.put_slice(properties.as_bytes());
}

/// Splits a batch body into its entries.
pub fn decode_batch(body: &Bytes) -> Result<Vec<BatchEntry>, MessageDecodeError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let buf = &body[..];
    let be_i32 = |p: usize| -> Result<i32, MessageDecodeError> {
        buf.get(p..p + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(MessageDecodeError::Truncated {
                need: p + 4,
                have: buf.len(),
            })
    };
    while pos < buf.len() {
        let total = usize::try_from(be_i32(pos)?)
            .map_err(|_| MessageDecodeError::Inconsistent("negative batch entry size"))?;
        if total < 22 || pos + total > buf.len() {
            return Err(MessageDecodeError::Inconsistent(
                "batch entry size out of range",
            ));
        }
        let flag = be_i32(pos + 12)?;
        let body_len = usize::try_from(be_i32(pos + 16)?)
            .map_err(|_| MessageDecodeError::Inconsistent("negative batch body length"))?;
        let body_start = pos + 20;
        let prop_len_at = body_start + body_len;
        if prop_len_at + 2 > pos + total {
            return Err(MessageDecodeError::Inconsistent(
                "batch body overruns its entry",
            ));
        }
        let prop_len = i16::from_be_bytes([buf[prop_len_at], buf[prop_len_at + 1]]);
        let prop_len = usize::try_from(prop_len)
            .map_err(|_| MessageDecodeError::Inconsistent("negative batch properties length"))?;
        if prop_len_at + 2 + prop_len != pos + total {
            return Err(MessageDecodeError::Inconsistent(
                "batch entry fields do not add up",
            ));
        }
        let properties = std::str::from_utf8(&buf[prop_len_at + 2..prop_len_at + 2 + prop_len])
            .map_err(|_| MessageDecodeError::Inconsistent("batch properties are not UTF-8"))?
            .to_owned();
        out.push(BatchEntry {
            flag,
            body: body.slice(body_start..prop_len_at),
            properties,
        });
        pos += total;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_round_trip() {
        let mut b = BytesMut::new();
        encode_batch_entry(0, b"one", "TAGS\u{1}a\u{2}", &mut b);
        encode_batch_entry(7, b"second", "", &mut b);
        let entries = decode_batch(&b.freeze()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(&entries[0].body[..], b"one");
        assert_eq!(entries[0].properties, "TAGS\u{1}a\u{2}");
        assert_eq!(entries[1].flag, 7);
        assert_eq!(&entries[1].body[..], b"second");
    }

    #[test]
    fn rejects_truncated_batch() {
        let mut b = BytesMut::new();
        encode_batch_entry(0, b"one", "", &mut b);
        let bytes = b.freeze().slice(..20);
        assert!(decode_batch(&bytes).is_err());
    }
}
