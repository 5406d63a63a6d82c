//! The stored message layout: a commit-log record, and each element of a pull body.
//!
//! ```text
//! TOTALSIZE:i32 MAGICCODE:i32 BODYCRC:i32 QUEUEID:i32 FLAG:i32 QUEUEOFFSET:i64
//! PHYSICALOFFSET:i64 SYSFLAG:i32 BORNTIMESTAMP:i64 BORNHOST:(4|16)+4 STORETIMESTAMP:i64
//! STOREHOST:(4|16)+4 RECONSUMETIMES:i32 PREPARED_TRANSACTION_OFFSET:i64
//! BODYLEN:i32 BODY TOPICLEN:(u8 V1 | i16 V2) TOPIC PROPLEN:i16 PROPERTIES
//! ```
//! V1 magic (1-byte topic length) is written for topics up to 127 bytes, V2 beyond.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::{BufMut, BytesMut};

use super::sys_flag::{BORNHOST_V6_FLAG, STOREHOST_V6_FLAG};
use crate::protocol::MessageDecodeError;

/// Magic code of V1 records (1-byte topic length).
pub const MESSAGE_MAGIC_CODE_V1: u32 = 0xDAA3_20A7;
/// Magic code of V2 records (2-byte topic length).
pub const MESSAGE_MAGIC_CODE_V2: u32 = 0xDAA3_20AB;
/// Magic code of the filler that pads the end of a commit-log segment.
pub const BLANK_MAGIC_CODE: u32 = 0xCBD4_3194;
/// Offset of QUEUEOFFSET inside a record.
pub const QUEUE_OFFSET_POSITION: usize = 20;
/// Offset of PHYSICALOFFSET inside a record.
pub const PHYSICAL_OFFSET_POSITION: usize = 28;
/// Offset of SYSFLAG inside a record.
pub const SYS_FLAG_POSITION: usize = 36;
/// Offset of BORNTIMESTAMP inside a record.
pub const BORN_TIMESTAMP_POSITION: usize = 40;

/// The longest topic that still gets a V1 record.
pub const MAX_V1_TOPIC_LEN: usize = 127;

/// CRC32 (IEEE) of the body, masked to 31 bits as RocketMQ stores it.
pub fn body_crc(body: &[u8]) -> u32 {
    crc32fast::hash(body) & 0x7FFF_FFFF
}

/// What a writer supplies to encode one record.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    pub properties: &'a str,
    /// Precomputed body CRC, or `None` to compute it.
    pub body_crc: Option<u32>,
}

fn host_len(addr: &SocketAddr) -> usize {
    match addr.ip() {
        IpAddr::V4(_) => 8,
        IpAddr::V6(_) => 20,
    }
}

/// The encoded size of a record with these fields.
pub fn record_size(f: &RecordFields<'_>) -> usize {
    let topic_len_bytes = if f.topic.len() > MAX_V1_TOPIC_LEN {
        2
    } else {
        1
    };
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(&f.born_host)
        + 8
        + host_len(&f.store_host)
        + 4
        + 8
        + 4
        + f.body.len()
        + topic_len_bytes
        + f.topic.len()
        + 2
        + f.properties.len()
}

fn put_host(dst: &mut BytesMut, addr: &SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => dst.put_slice(&ip.octets()),
        IpAddr::V6(ip) => dst.put_slice(&ip.octets()),
    }
    dst.put_i32(i32::from(addr.port()));
}

/// Appends one record to `dst`; returns its size. The sysFlag host bits are set from the
/// addresses. Callers check the topic (≤ 32767 bytes) and properties (≤ 32767 bytes) limits.
pub fn encode_record(f: &RecordFields<'_>, dst: &mut BytesMut) -> usize {
    let size = record_size(f);
    let v2 = f.topic.len() > MAX_V1_TOPIC_LEN;
    let mut sys_flag = f.sys_flag & !(BORNHOST_V6_FLAG | STOREHOST_V6_FLAG);
    if f.born_host.is_ipv6() {
        sys_flag |= BORNHOST_V6_FLAG;
    }
    if f.store_host.is_ipv6() {
        sys_flag |= STOREHOST_V6_FLAG;
    }
    dst.reserve(size);
    dst.put_i32(size as i32);
    dst.put_u32(if v2 {
        MESSAGE_MAGIC_CODE_V2
    } else {
        MESSAGE_MAGIC_CODE_V1
    });
    dst.put_u32(f.body_crc.unwrap_or_else(|| body_crc(f.body)));
    dst.put_i32(f.queue_id);
    dst.put_i32(f.flag);
    dst.put_i64(f.queue_offset);
    dst.put_i64(f.physical_offset);
    dst.put_i32(sys_flag);
    dst.put_i64(f.born_timestamp);
    put_host(dst, &f.born_host);
    dst.put_i64(f.store_timestamp);
    put_host(dst, &f.store_host);
    dst.put_i32(f.reconsume_times);
    dst.put_i64(f.prepared_transaction_offset);
    dst.put_i32(f.body.len() as i32);
    dst.put_slice(f.body);
    if v2 {
        dst.put_i16(f.topic.len() as i16);
    } else {
        dst.put_u8(f.topic.len() as u8);
    }
    dst.put_slice(f.topic.as_bytes());
    dst.put_i16(f.properties.len() as i16);
    dst.put_slice(f.properties.as_bytes());
    size
}

/// A record decoded in place: scalars copied, body/topic/properties borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordView<'a> {
    pub total_size: usize,
    pub magic: u32,
    pub body_crc: u32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    pub topic: &'a str,
    pub properties: &'a str,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MessageDecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(MessageDecodeError::Truncated {
                need: self.pos + n,
                have: self.buf.len(),
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, MessageDecodeError> {
        Ok(self.take(1)?[0])
    }
    fn i16(&mut self) -> Result<i16, MessageDecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, MessageDecodeError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, MessageDecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn host(&mut self, v6: bool) -> Result<SocketAddr, MessageDecodeError> {
        let ip = if v6 {
            let b = self.take(16)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            IpAddr::from(a)
        } else {
            let b = self.take(4)?;
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        };
        let port = self.i32()?;
        Ok(SocketAddr::new(ip, port as u16))
    }
}

/// Reads the TOTALSIZE and MAGICCODE at the start of `buf`, if 8 bytes are there.
pub fn peek_size_and_magic(buf: &[u8]) -> Option<(i32, u32)> {
    if buf.len() < 8 {
        return None;
    }
    Some((
        i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]),
        u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
    ))
}

/// Decodes the record at the start of `buf`. With `check_crc`, a body CRC mismatch is an error.
pub fn decode_record(buf: &[u8], check_crc: bool) -> Result<RecordView<'_>, MessageDecodeError> {
    let mut r = Reader { buf, pos: 0 };
    let total = r.i32()?;
    let magic = r.i32()? as u32;
    if magic != MESSAGE_MAGIC_CODE_V1 && magic != MESSAGE_MAGIC_CODE_V2 {
        return Err(MessageDecodeError::BadMagic(magic));
    }
    let total_size = usize::try_from(total)
        .ok()
        .filter(|t| *t >= 4)
        .ok_or(MessageDecodeError::Inconsistent("negative total size"))?;
    if total_size > buf.len() {
        return Err(MessageDecodeError::Truncated {
            need: total_size,
            have: buf.len(),
        });
    }
    let mut r = Reader {
        buf: &buf[..total_size],
        pos: 8,
    };
    let crc = r.i32()? as u32;
    let queue_id = r.i32()?;
    let flag = r.i32()?;
    let queue_offset = r.i64()?;
    let physical_offset = r.i64()?;
    let sys_flag = r.i32()?;
    let born_timestamp = r.i64()?;
    let born_host = r.host(sys_flag & BORNHOST_V6_FLAG != 0)?;
    let store_timestamp = r.i64()?;
    let store_host = r.host(sys_flag & STOREHOST_V6_FLAG != 0)?;
    let reconsume_times = r.i32()?;
    let prepared_transaction_offset = r.i64()?;
    let body_len = usize::try_from(r.i32()?)
        .map_err(|_| MessageDecodeError::Inconsistent("negative body length"))?;
    let body = r.take(body_len)?;
    let topic_len = if magic == MESSAGE_MAGIC_CODE_V2 {
        usize::try_from(r.i16()?)
            .map_err(|_| MessageDecodeError::Inconsistent("negative topic length"))?
    } else {
        usize::from(r.u8()?)
    };
    let topic = std::str::from_utf8(r.take(topic_len)?)
        .map_err(|_| MessageDecodeError::Inconsistent("topic is not UTF-8"))?;
    let prop_len = usize::try_from(r.i16()?)
        .map_err(|_| MessageDecodeError::Inconsistent("negative properties length"))?;
    let properties = std::str::from_utf8(r.take(prop_len)?)
        .map_err(|_| MessageDecodeError::Inconsistent("properties are not UTF-8"))?;
    if r.pos != total_size {
        return Err(MessageDecodeError::Inconsistent(
            "fields do not add up to the total size",
        ));
    }
    if check_crc {
        let computed = body_crc(body);
        if computed != crc {
            return Err(MessageDecodeError::BadCrc {
                stored: crc,
                computed,
            });
        }
    }
    Ok(RecordView {
        total_size,
        magic,
        body_crc: crc,
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body,
        topic,
        properties,
    })
}
