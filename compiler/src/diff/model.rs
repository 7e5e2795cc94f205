//! What the diff engine is given (two sides, each a tree of stacks) and what it reports.

use super::tree::Edit;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// One stack of a side: its template, what its parameters are given, its tags, and its nested
/// stacks (by the logical ID of their `AWS::CloudFormation::Stack` in this one).
#[derive(Clone, Debug, Default)]
pub struct Stack {
    pub template: Body,
    /// Parameter values where known: a deployed stack's values, a root's values or defaults, or
    /// what a parent passes a nested stack (a literal, or the parent's expression). A parameter
    /// without an entry is unknown (its template default applies).
    pub parameters: BTreeMap<String, Value>,
    pub tags: BTreeMap<String, String>,
    pub nested: BTreeMap<String, Stack>,
    /// What the user calls the stack: "service web", "timer cleanup", "resource database".
    pub label: Option<String>,
    /// The SHA-256 of the template's text, when known: two stacks with the same digest have the
    /// same template (and it need not be compared).
    pub digest: Option<String>,
}

/// A stack's template: a value, or JSON text parsed the first time it is looked at. A large
/// app's diff needs few of its templates (the others have the same digest on both sides and the
/// same values given), so a bundle's are read as text and parsed only if the engine asks.
#[derive(Clone, Default)]
pub struct Body {
    value: OnceLock<Value>,
    /// JSON known to parse (built by convoxc, or checked when read).
    text: Option<Arc<str>>,
}

impl Body {
    /// A template from its JSON text, parsed on first use. The text must be JSON (a built
    /// template's, or one checked with `serde_json::from_str::<IgnoredAny>`).
    pub fn deferred(text: Arc<str>) -> Self {
        Body {
            value: OnceLock::new(),
            text: Some(text),
        }
    }

    /// Whether the template can declare nested stacks (false only when its text, not parsed
    /// yet, does not name the type).
    pub fn may_nest(&self) -> bool {
        match (self.value.get(), &self.text) {
            (None, Some(t)) => memchr::memmem::find(t.as_bytes(), super::facts::NESTED_STACK.as_bytes()).is_some(),
            _ => true,
        }
    }
}

impl From<Value> for Body {
    fn from(v: Value) -> Self {
        Body {
            value: OnceLock::from(v),
            text: None,
        }
    }
}

impl std::ops::Deref for Body {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value.get_or_init(|| match &self.text {
            Some(t) => serde_json::from_str(t).expect("a deferred template is JSON (checked when read)"),
            None => Value::Null,
        })
    }
}

impl std::ops::DerefMut for Body {
    fn deref_mut(&mut self) -> &mut Value {
        let _ = std::ops::Deref::deref(self);
        self.text = None;
        self.value.get_mut().expect("parsed above")
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// How a change is classed, from the least to the most serious. A resource's class is that of its
/// worst change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A new task-definition revision (every deploy makes one).
    Benign,
    /// A new resource.
    Add,
    /// Updated in place (with or without interruption).
    Update,
    /// Removed without losing data (stateless, or retained by its DeletionPolicy).
    Remove,
    /// Replaced: a new physical resource (stateless).
    Replace,
    /// Its data is destroyed: a data-holding resource replaced or removed (a snapshot kept by
    /// DeletionPolicy still counts: the app loses its live data).
    Destroy,
    /// CloudFormation will refuse the update: a resource with a fixed physical name would have
    /// to be replaced, and the whole update rolls back.
    Fail,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Benign => "benign",
            Class::Add => "add",
            Class::Update => "update",
            Class::Remove => "remove",
            Class::Replace => "replace",
            Class::Destroy => "destroy",
            Class::Fail => "fail",
        }
    }

    /// All classes, most serious first (the order reports list them in).
    pub const WORST_FIRST: [Class; 7] = [
        Class::Fail,
        Class::Destroy,
        Class::Replace,
        Class::Remove,
        Class::Update,
        Class::Add,
        Class::Benign,
    ];
}

/// Whether a resource will be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Replacement {
    #[default]
    No,
    /// A conditionally create-only property changed, or a create-only one to a value not known
    /// offline (an unknown parameter, an import).
    Maybe,
    Yes,
}

/// Where a verdict comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Predicted from the templates and the resource provider schemas.
    Predicted,
    /// Said by a CloudFormation change set.
    ChangeSet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Add,
    Remove,
    Modify,
}

/// One changed property of a resource (a JSON pointer below `Properties`, or a resource
/// attribute such as `/DeletionPolicy`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyChange {
    #[serde(flatten)]
    pub edit: Edit,
    pub replacement: Replacement,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceChange {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub action: Action,
    pub class: Class,
    /// False when the class rests on a "may" (a possible replacement).
    pub certain: bool,
    pub replacement: Replacement,
    /// What data the resource holds (database, cache, file system, …), for those that do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<&'static str>,
    /// Whether the change loses that data (a replacement or a removal that does not retain it),
    /// also when the update is predicted to fail before it gets there.
    pub destroys_data: bool,
    /// Why it is classed so, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<PropertyChange>,
    pub source: Source,
    /// The deployed values at the create-only paths that cause a replacement (`/Properties/Port`
    /// → its value, or None when absent): what the resource keeps when the deployed value wins.
    #[serde(skip)]
    pub deployed: Vec<(String, Option<Value>)>,
    /// The resource stays the same one by what it names (a certificate: the same set of domain
    /// names), so that a deployed value may be kept.
    #[serde(skip)]
    pub same_names: bool,
    /// The create-only properties whose new value is convoxc's default, not the manifest's (the
    /// new template's `Metadata.convoxc.Defaults`): a resource that exists keeps its own.
    #[serde(skip)]
    pub defaulted: Vec<String>,
}

/// A named entry of a template section (a parameter declaration, condition, output, mapping),
/// or a stack's parameter value or tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryChange {
    pub section: &'static str,
    pub name: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
}

/// An IAM statement or a security-group rule that widens access.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Broadening {
    pub logical_id: String,
    /// `iam-statement`, `managed-policy`, `security-group-rule`.
    pub kind: &'static str,
    /// The statement, policy ARN or rule.
    pub detail: Value,
}

/// The changes of one stack, root or nested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackChange {
    /// Logical IDs from the root's resources down to this stack (empty for the root).
    pub path: Vec<String>,
    pub label: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<EntryChange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceChange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub broadening: Vec<Broadening>,
}

/// How many resource changes of each class, and how many widen access.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub changes: usize,
    pub classes: BTreeMap<&'static str, usize>,
    pub broadening: usize,
    pub stacks_changed: usize,
}

/// What a change will do: every changed stack, root first, nested stacks in the order of their
/// logical IDs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub stacks: Vec<StackChange>,
    /// The app's environment values that a deploy stores anew (names only, never values), sorted.
    /// Not a template change: values are SSM parameters the containers read when they start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<EnvChange>,
}

/// An environment value a deploy stores: a new name, or a new value for a stored one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvChange {
    pub name: String,
    /// `add` (nothing stored under the name yet), `modify` (another value is stored) or `remove`
    /// (the stored value is deleted).
    pub action: Action,
}

/// What a CloudFormation change set said about one resource (at `path`: the nested-stack logical
/// IDs from the root), to correct the prediction with.
#[derive(Clone, Debug, PartialEq)]
pub struct Said {
    pub path: Vec<String>,
    pub logical_id: String,
    pub resource_type: String,
    pub action: Action,
    /// `Replacement`: True, Conditional, False; None when it said nothing.
    pub replacement: Option<Replacement>,
    /// The properties it says cause a recreation.
    pub causes: Vec<String>,
}

/// What `--fail-on` can stop a pipeline for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Any change at all.
    Any,
    /// Any replacement, stateful or not (possible ones included; new task-definition revisions
    /// excluded).
    Replace,
    /// A replacement or removal that destroys data (possible ones included).
    Destroy,
    /// A predicted refusal (possible ones included).
    Fail,
    /// A widened IAM statement or security-group rule.
    Broaden,
}

impl Report {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty() && self.environment.is_empty()
    }

    pub fn resources(&self) -> impl Iterator<Item = &ResourceChange> {
        self.stacks.iter().flat_map(|s| &s.resources)
    }

    /// Whether a change of this kind is present.
    pub fn trips(&self, gate: Gate) -> bool {
        match gate {
            Gate::Any => !self.is_empty(),
            Gate::Replace => self
                .resources()
                .any(|r| r.replacement != Replacement::No && r.class != Class::Benign),
            Gate::Destroy => self.resources().any(|r| r.destroys_data),
            Gate::Fail => self.resources().any(|r| r.class == Class::Fail),
            Gate::Broaden => self.stacks.iter().any(|s| !s.broadening.is_empty()),
        }
    }
}
