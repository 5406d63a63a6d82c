//! Serde helpers that accept the shapes different clients send.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// An i64 from a JSON number or a numeric string; null or absent → 0.
pub fn i64_any<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| de::Error::custom("number out of range")),
        Value::String(s) if s.trim().is_empty() => Ok(0),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("invalid integer {s:?}"))),
        Value::Null => Ok(0),
        other => Err(de::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

/// A bool from a JSON bool, `"true"`/`"false"`, `"1"`/`"0"` or a number; null → false.
pub fn bool_any<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::Number(n) => Ok(n.as_i64().unwrap_or(0) != 0),
        Value::String(s) => Ok(s.eq_ignore_ascii_case("true") || s == "1"),
        Value::Null => Ok(false),
        other => Err(de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

/// Null or absent → `T::default()`.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Defines an enum serialized as its RocketMQ name and deserialized from the name or ordinal.
macro_rules! named_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = ($ord:expr, $text:literal),)* } default $def:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vm])* $variant,)*
        }

        impl $name {
            /// The RocketMQ name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
            /// The Java ordinal.
            pub fn ordinal(self) -> i64 {
                match self { $(Self::$variant => $ord,)* }
            }
            /// Parses a name (case-insensitive).
            pub fn from_name(s: &str) -> Option<Self> {
                $(if s.eq_ignore_ascii_case($text) { return Some(Self::$variant); })*
                None
            }
            /// Maps an ordinal.
            pub fn from_ordinal(n: i64) -> Option<Self> {
                match n { $($ord => Some(Self::$variant),)* _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                match serde_json::Value::deserialize(d)? {
                    serde_json::Value::String(s) => Self::from_name(&s)
                        .ok_or_else(|| D::Error::custom(format!("unknown {} {s:?}", stringify!($name)))),
                    serde_json::Value::Number(n) => n.as_i64().and_then(Self::from_ordinal)
                        .ok_or_else(|| D::Error::custom(format!("unknown {} {n}", stringify!($name)))),
                    serde_json::Value::Null => Ok(Self::$def),
                    other => Err(D::Error::custom(format!("unexpected {} {other}", stringify!($name)))),
                }
            }
        }
    };
}
pub(crate) use named_enum;
