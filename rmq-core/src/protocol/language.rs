//! `LanguageCode` and `SerializeType`: who sent a command and how its header is encoded.

/// The sender's language, as carried in every command header.
///
/// In JSON headers it travels as its name (`"JAVA"`, `"CPP"`); in ROCKETMQ binary headers as one
/// byte. Unknown names and numbers map to [`LanguageCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    #[default]
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
}

const LANGUAGES: [(LanguageCode, &str); 14] = [
    (LanguageCode::Java, "JAVA"),
    (LanguageCode::Cpp, "CPP"),
    (LanguageCode::Dotnet, "DOTNET"),
    (LanguageCode::Python, "PYTHON"),
    (LanguageCode::Delphi, "DELPHI"),
    (LanguageCode::Erlang, "ERLANG"),
    (LanguageCode::Ruby, "RUBY"),
    (LanguageCode::Other, "OTHER"),
    (LanguageCode::Http, "HTTP"),
    (LanguageCode::Go, "GO"),
    (LanguageCode::Php, "PHP"),
    (LanguageCode::Oms, "OMS"),
    (LanguageCode::Rust, "RUST"),
    (LanguageCode::NodeJs, "NODE_JS"),
];

impl LanguageCode {
    /// The byte used by the ROCKETMQ binary header.
    pub fn byte(self) -> u8 {
        LANGUAGES.iter().position(|(l, _)| *l == self).unwrap_or(7) as u8
    }

    /// Maps the binary byte (or a JSON ordinal) back; unknown values are `Other`.
    pub fn from_byte(b: i64) -> Self {
        usize::try_from(b)
            .ok()
            .and_then(|i| LANGUAGES.get(i))
            .map_or(LanguageCode::Other, |(l, _)| *l)
    }

    /// The JSON name, e.g. `"CPP"`.
    pub fn name(self) -> &'static str {
        LANGUAGES[self.byte() as usize].1
    }

    /// Parses the JSON name; unknown names are `Other`.
    pub fn from_name(name: &str) -> Self {
        LANGUAGES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map_or(LanguageCode::Other, |(l, _)| *l)
    }
}

/// How a command header is encoded: the high byte of the header-length word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    /// `0`: a UTF-8 JSON object (the default of every client).
    #[default]
    Json,
    /// `1`: RocketMQ's compact binary header.
    RocketMq,
}

impl SerializeType {
    /// The wire byte.
    pub fn byte(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// Maps the wire byte, `None` for unknown types.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }
}
