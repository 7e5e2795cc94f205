//! A rendered CloudFormation template (its exact bytes, content address and outline) and an
//! app's bundle of them.

use super::canon;
use super::outline::Outline;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One CloudFormation template: its exact bytes, their hash and the outline the quota checks
/// read. The `serde_json::Value` is built only when asked for (`value()`): a 500-service build
/// never needs it.
#[derive(Clone, Debug)]
pub struct Template {
    /// Pretty JSON, sorted keys, final newline: the bytes that are uploaded.
    pub text: String,
    /// Hex SHA-256 of `text`.
    pub sha256: String,
    /// Logical IDs and listener rules, for the quota checks.
    pub outline: Outline,
    value: std::sync::OnceLock<Value>,
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Template {
    /// A template from its value (the text is written with sorted keys, as every template).
    pub fn new(value: Value) -> Self {
        let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
        text.push('\n');
        let outline = Outline::of(&canon::parse(&text).expect("serde_json writes JSON"));
        Template::with(text, outline, std::sync::OnceLock::from(value))
    }

    /// A template from a parsed, merged stack (sorted keys, no duplicates).
    pub(crate) fn from_node(node: &canon::Node, size_hint: usize) -> Self {
        let mut text = String::with_capacity(size_hint);
        canon::write_pretty(node, &mut text);
        text.push('\n');
        Template::with(text, Outline::of(node), std::sync::OnceLock::new())
    }

    fn with(text: String, outline: Outline, value: std::sync::OnceLock<Value>) -> Self {
        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Template {
            text,
            sha256,
            outline,
            value,
        }
    }

    /// The template as a JSON value (parsed from `text` on first use).
    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| serde_json::from_str(&self.text).expect("a template is JSON"))
    }

    /// `f` on the template as a JSON value: the one `value()` keeps if it was built, else one
    /// parsed for this call and freed after it — a check that walks every template of a large
    /// app holds one at a time, not the whole bundle's trees (several times its text).
    pub fn with_value<R>(&self, f: impl FnOnce(&Value) -> R) -> R {
        match self.value.get() {
            Some(v) => f(v),
            None => f(&serde_json::from_str(&self.text).expect("a template is JSON")),
        }
    }

    /// The S3 key the template is stored under (content-addressed).
    pub fn key(&self) -> String {
        format!("{KEY_PREFIX}{}.json", self.sha256)
    }
}

/// Where nested templates live in the template bucket.
pub const KEY_PREFIX: &str = "convoxc/templates/";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The app stack and its nested stacks.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub app: Template,
    pub services: Vec<(String, Template)>,
    pub timers: Vec<(String, Template)>,
    pub resources: Vec<(String, Template)>,
    /// Only for apps too big for one app stack: groups of services, each a nested stack.
    pub groups: Vec<(String, Template)>,
}

impl Bundle {
    /// Every nested template, with its bundle path (`services/web.json` …).
    pub fn nested(&self) -> impl Iterator<Item = (String, &Template)> {
        self.services
            .iter()
            .map(|(n, t)| (format!("services/{n}.json"), t))
            .chain(self.timers.iter().map(|(n, t)| (format!("timers/{n}.json"), t)))
            .chain(self.resources.iter().map(|(n, t)| (format!("resources/{n}.json"), t)))
            .chain(self.groups.iter().map(|(n, t)| (format!("groups/{n}.json"), t)))
    }
}
