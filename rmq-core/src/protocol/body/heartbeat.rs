//! HeartbeatData (HEART_BEAT body) and its parts.

use serde::{Deserialize, Serialize};

use super::lenient::{bool_any, i64_any, named_enum, null_default};

named_enum! {
    /// Pull (actively) or push (passively) consumer.
    pub enum ConsumeType {
        ConsumeActively = (0, "CONSUME_ACTIVELY"),
        #[default]
        ConsumePassively = (1, "CONSUME_PASSIVELY"),
        ConsumePop = (2, "CONSUME_POP"),
    } default ConsumePassively
}

named_enum! {
    /// Clustering (queues shared by the group) or broadcasting (every member gets everything).
    pub enum MessageModel {
        Broadcasting = (0, "BROADCASTING"),
        #[default]
        Clustering = (1, "CLUSTERING"),
    } default Clustering
}

named_enum! {
    /// Where a consumer group starts when it has no committed offset.
    pub enum ConsumeFromWhere {
        #[default]
        ConsumeFromLastOffset = (0, "CONSUME_FROM_LAST_OFFSET"),
        ConsumeFromLastOffsetAndFromMinWhenBootFirst = (1, "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"),
        ConsumeFromMinOffset = (2, "CONSUME_FROM_MIN_OFFSET"),
        ConsumeFromMaxOffset = (3, "CONSUME_FROM_MAX_OFFSET"),
        ConsumeFromFirstOffset = (4, "CONSUME_FROM_FIRST_OFFSET"),
        ConsumeFromTimestamp = (5, "CONSUME_FROM_TIMESTAMP"),
    } default ConsumeFromLastOffset
}

/// One subscription of a consumer group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionData {
    #[serde(default, deserialize_with = "bool_any")]
    pub class_filter_mode: bool,
    pub topic: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sub_string: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tags_set: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub code_set: Vec<i64>,
    #[serde(default, deserialize_with = "i64_any")]
    pub sub_version: i64,
    #[serde(default = "tag_type", deserialize_with = "expression_type")]
    pub expression_type: String,
}

fn tag_type() -> String {
    "TAG".to_owned()
}

fn expression_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(tag_type))
}

impl SubscriptionData {
    /// Builds a TAG subscription from an expression such as `*` or `TagA || TagB`.
    pub fn from_expression(topic: &str, expr: &str, sub_version: i64) -> Self {
        let expr = expr.trim();
        let mut sub = SubscriptionData {
            topic: topic.to_owned(),
            sub_string: if expr.is_empty() {
                "*".to_owned()
            } else {
                expr.to_owned()
            },
            sub_version,
            expression_type: tag_type(),
            ..Default::default()
        };
        if !sub.is_all() {
            for tag in expr.split("||").map(str::trim).filter(|t| !t.is_empty()) {
                if !sub.tags_set.iter().any(|t| t == tag) {
                    sub.code_set
                        .push(crate::protocol::message::tags_hash_code(tag));
                    sub.tags_set.push(tag.to_owned());
                }
            }
        }
        sub
    }

    /// An SQL92 subscription: `sub_string` is the expression; no tags.
    pub fn sql92(topic: &str, expression: &str, sub_version: i64) -> Self {
        SubscriptionData {
            topic: topic.to_owned(),
            sub_string: expression.to_owned(),
            sub_version,
            expression_type: "SQL92".to_owned(),
            ..Default::default()
        }
    }

    /// Whether it filters by tag (`TAG`, or no type given), not by an expression such as
    /// SQL92's; an expression subscription lets every tag through the tag checks.
    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty() || self.expression_type.eq_ignore_ascii_case("TAG")
    }

    /// Whether the subscription takes every tag.
    pub fn is_all(&self) -> bool {
        let s = self.sub_string.trim();
        s.is_empty() || s == "*"
    }

    /// The tag set, derived from `sub_string` when the client sent none (C++).
    pub fn normalized(mut self) -> Self {
        if !self.is_tag_type() {
            return self;
        }
        if self.tags_set.is_empty() && !self.is_all() {
            let fresh = Self::from_expression(&self.topic, &self.sub_string, self.sub_version);
            self.tags_set = fresh.tags_set;
            self.code_set = fresh.code_set;
        } else if self.code_set.len() != self.tags_set.len() {
            self.code_set = self
                .tags_set
                .iter()
                .map(|t| crate::protocol::message::tags_hash_code(t))
                .collect();
        }
        self
    }

    /// Whether a message with `tag` matches.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        !self.is_tag_type()
            || self.is_all()
            || tag.is_some_and(|t| self.tags_set.iter().any(|s| s == t))
    }

    /// Whether a consume-queue tag code matches.
    pub fn matches_code(&self, code: i64) -> bool {
        !self.is_tag_type() || self.is_all() || self.code_set.contains(&code)
    }
}

/// A producer group a client belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducerData {
    pub group_name: String,
}

/// A consumer group a client belongs to, with its subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerData {
    pub group_name: String,
    #[serde(default)]
    pub consume_type: ConsumeType,
    #[serde(default)]
    pub message_model: MessageModel,
    #[serde(default)]
    pub consume_from_where: ConsumeFromWhere,
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    #[serde(default, deserialize_with = "bool_any")]
    pub unit_mode: bool,
}

/// The HEART_BEAT body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatData {
    #[serde(rename = "clientID")]
    pub client_id: String,
    #[serde(rename = "producerDataSet", default, deserialize_with = "null_default")]
    pub producer_data_set: Vec<ProducerData>,
    #[serde(rename = "consumerDataSet", default, deserialize_with = "null_default")]
    pub consumer_data_set: Vec<ConsumerData>,
}
