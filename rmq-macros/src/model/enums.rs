//! The enum-valued attributes, with the spellings rocketmq-spring accepts.

/// `selector_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorType {
    Tag,
    Sql92,
}

impl SelectorType {
    pub const VALUES: &'static [(&'static str, Self)] =
        &[("TAG", SelectorType::Tag), ("SQL92", SelectorType::Sql92)];
}

/// `consume_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeMode {
    Concurrently,
    Orderly,
}

impl ConsumeMode {
    pub const VALUES: &'static [(&'static str, Self)] = &[
        ("CONCURRENTLY", ConsumeMode::Concurrently),
        ("ORDERLY", ConsumeMode::Orderly),
    ];
}

/// `message_model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageModel {
    Clustering,
    Broadcasting,
}

impl MessageModel {
    pub const VALUES: &'static [(&'static str, Self)] = &[
        ("CLUSTERING", MessageModel::Clustering),
        ("BROADCASTING", MessageModel::Broadcasting),
    ];
}

/// `access_channel` (a plain string at runtime, so placeholders stay allowed).
pub const ACCESS_CHANNELS: &[&str] = &["LOCAL", "CLOUD"];
