//! Typed custom headers: each request family's `extFields`, parsed once at the edge.
//!
//! Values are read leniently (numbers from JSON numbers or strings, booleans from
//! `"true"`/`"1"`/`true`) and always written as strings, as Java writes them.

use super::ExtFields;
use super::HeaderError;

mod admin;
mod broker_admin;
mod client;
mod consumer_admin;
mod namesrv;
mod offset;
mod pull_message;
mod reply;
mod send_message;
mod transaction;

pub use admin::*;
pub use broker_admin::*;
pub use client::*;
pub use consumer_admin::*;
pub use namesrv::*;
pub use offset::*;
pub use pull_message::*;
pub use reply::*;
pub use send_message::*;
pub use transaction::*;

/// A typed custom header that converts to and from `extFields`.
pub trait CommandHeader: Sized {
    /// Writes every present field as a string.
    fn write_to(&self, out: &mut ExtFields);
    /// Reads the fields; a missing required field or an unparsable value is an error.
    fn read_from(fields: &ExtFields) -> Result<Self, HeaderError>;
    /// Like [`read_from`](Self::read_from), moving string values out of `fields` (they are
    /// left empty) instead of copying them.
    fn take_from(fields: &mut ExtFields) -> Result<Self, HeaderError> {
        Self::read_from(fields)
    }
    /// Like [`write_to`](Self::write_to), moving string values instead of copying them.
    fn into_fields(self, out: &mut ExtFields) {
        self.write_to(out);
    }
}

/// One scalar type that can travel in `extFields`.
pub trait HeaderValue: Sized {
    /// Parses the wire string.
    fn parse_value(s: &str) -> Option<Self>;
    /// The wire string.
    fn to_value(&self) -> String;
    /// Parses an owned wire string (a `String` keeps it as it is); gives it back when it
    /// does not parse.
    fn from_owned(s: String) -> Result<Self, String> {
        Self::parse_value(&s).ok_or(s)
    }
    /// The wire string, by value (a `String` is moved).
    fn into_value(self) -> String {
        self.to_value()
    }
}

impl HeaderValue for String {
    fn parse_value(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
    fn from_owned(s: String) -> Result<Self, String> {
        Ok(s)
    }
    fn into_value(self) -> String {
        self
    }
    fn to_value(&self) -> String {
        self.clone()
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl HeaderValue for $t {
            fn parse_value(s: &str) -> Option<Self> {
                let s = s.trim();
                s.parse::<$t>().ok().or_else(|| {
                    // JSON numbers such as `3.0` or exponent forms.
                    s.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as $t)
                })
            }
            fn to_value(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_value!(i32, i64);

impl HeaderValue for bool {
    fn parse_value(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("true") || s == "1" {
            Some(true)
        } else if s.eq_ignore_ascii_case("false") || s == "0" || s.is_empty() {
            Some(false)
        } else {
            None
        }
    }
    fn to_value(&self) -> String {
        if *self { "true" } else { "false" }.to_owned()
    }
}

/// Reads a required field.
pub fn required<T: HeaderValue>(f: &ExtFields, key: &'static str) -> Result<T, HeaderError> {
    let raw = f.get(key).ok_or(HeaderError::Missing(key))?;
    T::parse_value(raw).ok_or_else(|| HeaderError::Invalid {
        key,
        value: raw.clone(),
    })
}

/// Reads an optional field.
pub fn optional<T: HeaderValue>(
    f: &ExtFields,
    key: &'static str,
) -> Result<Option<T>, HeaderError> {
    match f.get(key) {
        None => Ok(None),
        Some(raw) => T::parse_value(raw)
            .map(Some)
            .ok_or_else(|| HeaderError::Invalid {
                key,
                value: raw.clone(),
            }),
    }
}

/// Takes a required field out of `f`.
pub fn take_required<T: HeaderValue>(
    f: &mut ExtFields,
    key: &'static str,
) -> Result<T, HeaderError> {
    let raw = f.take_value(key).ok_or(HeaderError::Missing(key))?;
    T::from_owned(raw).map_err(|value| HeaderError::Invalid { key, value })
}

/// Takes an optional field out of `f`.
pub fn take_optional<T: HeaderValue>(
    f: &mut ExtFields,
    key: &'static str,
) -> Result<Option<T>, HeaderError> {
    match f.take_value(key) {
        None => Ok(None),
        Some(raw) => T::from_owned(raw)
            .map(Some)
            .map_err(|value| HeaderError::Invalid { key, value }),
    }
}

/// Defines a header struct whose fields map to named `extFields` keys.
///
/// `req` fields must be present; `opt` fields become `Option<T>`.
macro_rules! header {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $kind:ident $field:ident : $ty:ty = $key:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $($(#[$fm])* pub $field: header!(@ty $kind $ty),)*
        }

        impl $crate::protocol::header::CommandHeader for $name {
            fn write_to(&self, out: &mut $crate::protocol::ExtFields) {
                // Into an empty header every key is new: no lookups.
                let fresh = out.is_empty();
                $(header!(@put $kind out, fresh, $key, &self.$field);)*
            }

            fn into_fields(self, out: &mut $crate::protocol::ExtFields) {
                let fresh = out.is_empty();
                $(header!(@move $kind out, fresh, $key, self.$field);)*
            }

            fn read_from(f: &$crate::protocol::ExtFields) -> Result<Self, $crate::protocol::HeaderError> {
                Ok(Self {
                    $($field: header!(@get $kind f, $key, $ty),)*
                })
            }

            fn take_from(f: &mut $crate::protocol::ExtFields) -> Result<Self, $crate::protocol::HeaderError> {
                Ok(Self {
                    $($field: header!(@take $kind f, $key, $ty),)*
                })
            }
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@put req $out:ident, $fresh:ident, $key:literal, $v:expr) => {
        $out.put_field($fresh, $key, $crate::protocol::header::HeaderValue::to_value($v));
    };
    (@put opt $out:ident, $fresh:ident, $key:literal, $v:expr) => {
        if let Some(v) = $v {
            $out.put_field($fresh, $key, $crate::protocol::header::HeaderValue::to_value(v));
        }
    };
    (@move req $out:ident, $fresh:ident, $key:literal, $v:expr) => {
        $out.put_field($fresh, $key, $crate::protocol::header::HeaderValue::into_value($v));
    };
    (@move opt $out:ident, $fresh:ident, $key:literal, $v:expr) => {
        if let Some(v) = $v {
            $out.put_field($fresh, $key, $crate::protocol::header::HeaderValue::into_value(v));
        }
    };
    (@take req $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::take_required::<$ty>($f, $key)? };
    (@take opt $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::take_optional::<$ty>($f, $key)? };
    (@get req $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::required::<$ty>($f, $key)? };
    (@get opt $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::optional::<$ty>($f, $key)? };
}
pub(crate) use header;
