//! Typed custom headers: each request family's `extFields`, parsed once at the edge.
//!
//! Values are read leniently (numbers from JSON numbers or strings, booleans from
//! `"true"`/`"1"`/`true`) and always written as strings, as Java writes them.

use super::ExtFields;
use super::HeaderError;

mod admin;
mod client;
mod namesrv;
mod offset;
mod pull_message;
mod send_message;

pub use admin::*;
pub use client::*;
pub use namesrv::*;
pub use offset::*;
pub use pull_message::*;
pub use send_message::*;

/// A typed custom header that converts to and from `extFields`.
pub trait CommandHeader: Sized {
    /// Writes every present field as a string.
    fn write_to(&self, out: &mut ExtFields);
    /// Reads the fields; a missing required field or an unparsable value is an error.
    fn read_from(fields: &ExtFields) -> Result<Self, HeaderError>;
}

/// One scalar type that can travel in `extFields`.
pub trait HeaderValue: Sized {
    /// Parses the wire string.
    fn parse_value(s: &str) -> Option<Self>;
    /// The wire string.
    fn to_value(&self) -> String;
}

impl HeaderValue for String {
    fn parse_value(s: &str) -> Option<Self> {
        Some(s.to_owned())
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
                $(header!(@put $kind out, $key, &self.$field);)*
            }

            fn read_from(f: &$crate::protocol::ExtFields) -> Result<Self, $crate::protocol::HeaderError> {
                Ok(Self {
                    $($field: header!(@get $kind f, $key, $ty),)*
                })
            }
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@put req $out:ident, $key:literal, $v:expr) => {
        $out.push_new($key, $crate::protocol::header::HeaderValue::to_value($v));
    };
    (@put opt $out:ident, $key:literal, $v:expr) => {
        if let Some(v) = $v {
            $out.push_new($key, $crate::protocol::header::HeaderValue::to_value(v));
        }
    };
    (@get req $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::required::<$ty>($f, $key)? };
    (@get opt $f:ident, $key:literal, $ty:ty) => { $crate::protocol::header::optional::<$ty>($f, $key)? };
}
pub(crate) use header;
