//! CloudFormation's quotas, and what the quota checks (`limits.rs`) read of a template: its
//! outline, taken while the template is written.

use super::canon;

/// Template body via S3 (`TemplateURL`): the budget convoxc keeps to.
pub const MAX_BODY_S3: usize = 1_000_000;
/// Template body sent inline (`TemplateBody`).
pub const MAX_BODY_INLINE: usize = 51_200;
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_LOGICAL_ID: usize = 255;

/// What the quota checks read of a template, taken while it is written (so that they never
/// parse it again).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outline {
    /// Logical IDs of `Parameters`, `Resources` and `Outputs`, in that order, each sorted.
    pub sections: [Vec<String>; 3],
    /// The template's `AWS::ElasticLoadBalancingV2::ListenerRule` resources.
    pub listener_rules: Vec<ListenerRule>,
}

/// The section names of [`Outline::sections`] and each one's quota.
pub const SECTIONS: [(&str, usize); 3] = [
    ("Parameters", MAX_PARAMETERS),
    ("Resources", MAX_RESOURCES),
    ("Outputs", MAX_OUTPUTS),
];

#[derive(Clone, Debug, PartialEq)]
pub struct ListenerRule {
    pub logical_id: String,
    /// `Properties.ListenerArn` as compact JSON (an import or a `Ref`).
    pub listener: String,
    pub priority: Option<u64>,
    pub condition: Option<String>,
}

impl Outline {
    pub(crate) fn of(template: &canon::Node) -> Self {
        let ids = |section: &str| {
            template
                .get(section)
                .map_or_else(Vec::new, |s| s.entries().iter().map(|(k, _)| k.to_string()).collect())
        };
        let listener_rules = template
            .get("Resources")
            .map(|r| r.entries())
            .unwrap_or_default()
            .iter()
            .filter(|(_, r)| {
                r.get("Type").and_then(|t| t.as_plain_str()) == Some("AWS::ElasticLoadBalancingV2::ListenerRule")
            })
            .map(|(id, r)| {
                let props = r.get("Properties");
                let mut listener = String::new();
                if let Some(l) = props.and_then(|p| p.get("ListenerArn")) {
                    canon::write_compact(l, &mut listener);
                }
                ListenerRule {
                    logical_id: id.to_string(),
                    listener,
                    priority: match props.and_then(|p| p.get("Priority")) {
                        Some(canon::Node::Atom(n)) => n.parse().ok(),
                        _ => None,
                    },
                    condition: r.get("Condition").and_then(|c| c.as_plain_str()).map(str::to_string),
                }
            })
            .collect();
        Outline {
            sections: SECTIONS.map(|(s, _)| ids(s)),
            listener_rules,
        }
    }
}
