//! The attribute's values, parsed into a typed model: each present key keeps its value and
//! the span it came from. Nothing here produces tokens.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{token, Expr, Path, Token};

use super::enums::{ConsumeMode, MessageModel, SelectorType, ACCESS_CHANNELS};
use super::lit::{self, IntRange, Spanned};
use crate::ctxt::Ctxt;
use crate::symbol::{self, Symbol, *};

/// Every attribute of `#[rocketmq_listener(..)]`; `None` means "not written" (the runtime
/// default applies).
#[derive(Debug, Default)]
pub struct ListenerArgs {
    pub consumer_group: Option<Spanned<String>>,
    pub topic: Option<Spanned<String>>,
    pub selector_type: Option<Spanned<SelectorType>>,
    pub selector_expression: Option<Spanned<String>>,
    pub consume_mode: Option<Spanned<ConsumeMode>>,
    pub message_model: Option<Spanned<MessageModel>>,
    pub consume_thread_number: Option<Spanned<i64>>,
    pub max_reconsume_times: Option<Spanned<i64>>,
    pub consume_timeout: Option<Spanned<i64>>,
    pub reply_timeout: Option<Spanned<i64>>,
    pub access_key: Option<Spanned<String>>,
    pub secret_key: Option<Spanned<String>>,
    pub enable_msg_trace: Option<Spanned<bool>>,
    pub customized_trace_topic: Option<Spanned<String>>,
    pub name_server: Option<Spanned<String>>,
    pub access_channel: Option<Spanned<String>>,
    pub tls_enable: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub delay_level_when_next_consume: Option<Spanned<i64>>,
    pub suspend_current_queue_time_millis: Option<Spanned<i64>>,
    pub await_termination_millis_when_shutdown: Option<Spanned<i64>>,
    pub instance_name: Option<Spanned<String>>,
    /// Every key written, valid or not (a bad value is not also "missing").
    written: Vec<Symbol>,
    /// Keys suggested for an unknown name (`consumer_grop` → `consumer_group`).
    misspelled: Vec<Symbol>,
}

const I32: i64 = i32::MAX as i64;
const THREADS: IntRange = IntRange {
    min: 1,
    max: 1000,
    why: "RocketMQ's bounds for consumer threads",
};
const RECONSUME: IntRange = IntRange {
    min: -1,
    max: I32,
    why: "-1 means 16",
};
const TIMEOUT_MINUTES: IntRange = IntRange {
    min: 1,
    max: I32,
    why: "minutes",
};
const MILLIS: IntRange = IntRange {
    min: 0,
    max: I32,
    why: "milliseconds",
};
const DELAY_LEVEL: IntRange = IntRange {
    min: -1,
    max: I32,
    why: "-1 sends to the DLQ, 0 lets the broker decide, > 0 is a delay level",
};

impl ListenerArgs {
    /// Parses `key = value, ...`; unknown, duplicate and malformed keys are reported and
    /// skipped, so every mistake shows up in one build.
    pub fn parse(cx: &Ctxt, tokens: TokenStream) -> ListenerArgs {
        let mut args = ListenerArgs::default();
        let list = match Punctuated::<Arg, Token![,]>::parse_terminated.parse2(tokens) {
            Ok(list) => list,
            Err(err) => {
                cx.syn_error(err);
                return args;
            }
        };
        for arg in &list {
            let Some(key) = args.known_key(cx, &arg.key) else {
                continue;
            };
            if args.written.contains(&key) {
                cx.error_spanned_by(
                    &arg.key,
                    format!("duplicate attribute `{key}`: it is already set above"),
                );
                continue;
            }
            args.written.push(key);
            match &arg.value {
                Some(value) => args.set(cx, key, value),
                None => cx.error_spanned_by(&arg.key, format!("expected a value: `{key} = ...`")),
            }
        }
        args
    }

    /// Whether `key` appears in the attribute, even with a bad value or misspelled as a
    /// close unknown name (it is then not also reported missing).
    pub fn is_written(&self, key: Symbol) -> bool {
        self.written.contains(&key) || self.misspelled.contains(&key)
    }

    /// The key of `path` if it is one of ours; otherwise reports it, with the closest key
    /// when there is one.
    fn known_key(&mut self, cx: &Ctxt, path: &Path) -> Option<Symbol> {
        if let Some(ident) = path.get_ident() {
            if let Some(key) = ALL.iter().find(|key| ident == *key) {
                return Some(*key);
            }
        }
        let name = quote::ToTokens::to_token_stream(path)
            .to_string()
            .replace(' ', "");
        let msg = match symbol::closest(&name, ALL.iter().map(|key| key.0)) {
            Some(close) => {
                self.misspelled
                    .extend(ALL.iter().find(|key| key.0 == close));
                format!("unknown attribute `{name}`; did you mean `{close}`?")
            }
            None => {
                let all: Vec<String> = ALL.iter().map(|key| format!("`{key}`")).collect();
                format!(
                    "unknown attribute `{name}`; expected one of {}",
                    all.join(", ")
                )
            }
        };
        cx.error_spanned_by(path, msg);
        None
    }

    fn set(&mut self, cx: &Ctxt, key: Symbol, value: &Expr) {
        match key {
            CONSUMER_GROUP => self.consumer_group = lit::string(cx, key, value),
            TOPIC => self.topic = lit::string(cx, key, value),
            SELECTOR_TYPE => self.selector_type = lit::choice(cx, key, value, SelectorType::VALUES),
            SELECTOR_EXPRESSION => self.selector_expression = lit::string(cx, key, value),
            CONSUME_MODE => self.consume_mode = lit::choice(cx, key, value, ConsumeMode::VALUES),
            MESSAGE_MODEL => self.message_model = lit::choice(cx, key, value, MessageModel::VALUES),
            CONSUME_THREAD_NUMBER => {
                self.consume_thread_number = lit::int(cx, key, value, &THREADS)
            }
            MAX_RECONSUME_TIMES => self.max_reconsume_times = lit::int(cx, key, value, &RECONSUME),
            CONSUME_TIMEOUT => self.consume_timeout = lit::int(cx, key, value, &TIMEOUT_MINUTES),
            REPLY_TIMEOUT => self.reply_timeout = lit::int(cx, key, value, &MILLIS),
            ACCESS_KEY => self.access_key = lit::string(cx, key, value),
            SECRET_KEY => self.secret_key = lit::string(cx, key, value),
            ENABLE_MSG_TRACE => self.enable_msg_trace = lit::boolean(cx, key, value),
            CUSTOMIZED_TRACE_TOPIC => self.customized_trace_topic = lit::string(cx, key, value),
            NAME_SERVER => self.name_server = lit::string(cx, key, value),
            ACCESS_CHANNEL => {
                self.access_channel = lit::string_choice(cx, key, value, ACCESS_CHANNELS)
            }
            TLS_ENABLE => self.tls_enable = lit::bool_string(cx, key, value),
            NAMESPACE => self.namespace = lit::string(cx, key, value),
            DELAY_LEVEL_WHEN_NEXT_CONSUME => {
                self.delay_level_when_next_consume = lit::int(cx, key, value, &DELAY_LEVEL)
            }
            SUSPEND_CURRENT_QUEUE_TIME_MILLIS => {
                self.suspend_current_queue_time_millis = lit::int(cx, key, value, &MILLIS)
            }
            AWAIT_TERMINATION_MILLIS_WHEN_SHUTDOWN => {
                self.await_termination_millis_when_shutdown = lit::int(cx, key, value, &MILLIS)
            }
            INSTANCE_NAME => self.instance_name = lit::string(cx, key, value),
            other => unreachable!("symbol `{other}` is in ALL but has no parser"),
        }
    }
}

/// One `key = value`; a `key` without a value is reported once the key is known.
struct Arg {
    key: Path,
    value: Option<Expr>,
}

impl Parse for Arg {
    /// Parses the value as a full expression, so `-1` keeps the span of both tokens.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Path::parse_mod_style)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value = input.parse()?;
            return Ok(Arg {
                key,
                value: Some(value),
            });
        }
        if input.peek(token::Paren) {
            input.parse::<proc_macro2::Group>()?;
        }
        Ok(Arg { key, value: None })
    }
}
