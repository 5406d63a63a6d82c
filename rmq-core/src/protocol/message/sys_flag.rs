//! `MessageSysFlag` bits and the Java `String.hashCode` used for tag codes.

/// Body is compressed.
pub const COMPRESSED_FLAG: i32 = 0x1;
/// Topic filter type MULTI_TAG.
pub const MULTI_TAGS_FLAG: i32 = 0x2;
/// Transaction type: not a transaction message.
pub const TRANSACTION_NOT_TYPE: i32 = 0;
/// Transaction type: half (prepared) message.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
/// Transaction type: commit.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// Transaction type: rollback.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
/// Born host is IPv6.
pub const BORNHOST_V6_FLAG: i32 = 0x10;
/// Store host is IPv6.
pub const STOREHOST_V6_FLAG: i32 = 0x20;
/// Mask of the compression type bits (0 also means zlib).
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
/// zlib compression type.
pub const COMPRESSION_ZLIB_TYPE: i32 = 0x300;

/// The transaction type bits of a sysFlag.
pub fn transaction_type(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_ROLLBACK_TYPE
}

/// Java's `String.hashCode()` over UTF-16 units, sign-extended: the consume-queue tag code.
pub fn tags_hash_code(tag: &str) -> i64 {
    let mut h: i32 = 0;
    for unit in tag.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    i64::from(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_code_matches_java() {
        assert_eq!(tags_hash_code(""), 0);
        assert_eq!(tags_hash_code("TagA"), 2598919);
        assert_eq!(tags_hash_code("TagB"), 2598920);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
        assert_eq!(tags_hash_code("polygenelubricants"), i64::from(i32::MIN));
    }
}
