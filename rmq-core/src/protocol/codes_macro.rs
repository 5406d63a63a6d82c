//! A declarative macro that defines a wire-number enum once, with lookups both ways.

/// Defines an enum of wire numbers with `from_code`, `code` and `name`.
macro_rules! wire_codes {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $val:expr,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vm])* $variant = $val,)*
        }

        impl $name {
            /// Maps a wire number to its variant, `None` when the number is unknown.
            pub fn from_code(code: i32) -> Option<Self> {
                match code {
                    $($val => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The wire number.
            pub fn code(self) -> i32 {
                self as i32
            }

            /// The RocketMQ name, e.g. `SendMessage`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)*
                }
            }
        }

        impl From<$name> for i32 {
            fn from(v: $name) -> i32 {
                v as i32
            }
        }
    };
}
pub(crate) use wire_codes;
