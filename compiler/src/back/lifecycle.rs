//! The app registry's ECR lifecycle policy: what releases need is kept, the rest expires.
//!
//! ECR evaluates rules by priority; an image that matches the tag selection of a rule can only
//! be expired by that rule, never by one of lower priority
//! (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html#lifecycle_policy_evaluation).
//! So:
//! 1. untagged images (a layer manifest left behind) expire a day after they were pushed;
//! 2. an image a deployed release ran carries a `kept_…` tag (added when its release is recorded):
//!    it matches this rule, whose count (ECR's default quota of images in a repository) is never
//!    reached, so no later rule expires it;
//! 3. every other tagged image is kept while it is among the newest `KEEP_BUILDS` other builds — counted
//!    in images: one per built service of a build at most, so `KEEP_BUILDS × built services`
//!    keeps at least the newest 50 builds (convox's rack keeps 50 too, `maxBuilds`).

use serde_json::json;

/// How many of the newest builds are kept (convox keeps 50).
pub const KEEP_BUILDS: usize = 50;

/// The tag prefix marking an image that a deployed release ran. Service names have no `_`, so no
/// `<service>.<build>` tag starts with it.
pub const KEPT_PREFIX: &str = "kept_";

/// The count of rule 2: ECR's default quota of images per repository, never reached.
pub const KEPT_MAX: usize = 10_000;

/// The policy, as the `LifecyclePolicyText` of the registry (compact JSON), for an app whose
/// services build `built` images per build (at least 1).
pub fn policy(built: usize) -> String {
    let count = KEEP_BUILDS * built.max(1);
    json!({"rules": [
        {
            "rulePriority": 1,
            "description": "untagged images expire a day after they were pushed",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "an image a deployed release ran (tagged kept_...) is kept",
            "selection": {"tagStatus": "tagged", "tagPrefixList": [KEPT_PREFIX], "countType": "imageCountMoreThan", "countNumber": KEPT_MAX},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": format!("the newest {KEEP_BUILDS} builds are kept ({count} images)"),
            "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": count},
            "action": {"type": "expire"},
        },
    ]})
    .to_string()
}

/// The marker tag of an image a deployed release ran, for its `<service>.<build>` tag: the tag
/// with the prefix, or (when that would pass ECR's 128 characters) the prefix and the tag's digest.
pub fn kept_tag(tag: &str) -> String {
    let t = format!("{KEPT_PREFIX}{tag}");
    if t.len() <= 128 {
        return t;
    }
    use sha2::Digest;
    let d = sha2::Sha256::digest(tag.as_bytes());
    format!(
        "{KEPT_PREFIX}{}",
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// An image in the registry: its tags, and when it was pushed (days ago).
    struct Image {
        tags: Vec<String>,
        age_days: u32,
    }

    /// ECR's evaluation of a policy, as documented: rules in priority order; an image matched by
    /// a rule's tag selection is that rule's (later rules never see it); `imageCountMoreThan`
    /// expires the oldest beyond the count, `sinceImagePushed` those older than it. Returns the
    /// indexes of the images kept.
    fn evaluate(policy: &str, images: &[Image]) -> BTreeSet<usize> {
        let p: Value = serde_json::from_str(policy).unwrap();
        let mut rules: Vec<&Value> = p["rules"].as_array().unwrap().iter().collect();
        rules.sort_by_key(|r| r["rulePriority"].as_u64().unwrap());
        let mut claimed = BTreeSet::new();
        let mut expired = BTreeSet::new();
        for rule in rules {
            let s = &rule["selection"];
            let strs = |k: &str| -> Vec<String> {
                s[k].as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default()
            };
            let (prefixes, patterns) = (strs("tagPrefixList"), strs("tagPatternList"));
            let matches = |i: &Image| match s["tagStatus"].as_str().unwrap() {
                "untagged" => i.tags.is_empty(),
                "any" => true,
                _ => {
                    !i.tags.is_empty()
                        && (prefixes
                            .iter()
                            .any(|p| i.tags.iter().any(|t| t.starts_with(p.as_str())))
                            || patterns.iter().any(|p| i.tags.iter().any(|t| glob(p, t))))
                }
            };
            let mut mine: Vec<usize> = (0..images.len())
                .filter(|n| !claimed.contains(n) && matches(&images[*n]))
                .collect();
            claimed.extend(mine.iter().copied());
            let number = s["countNumber"].as_u64().unwrap() as usize;
            match s["countType"].as_str().unwrap() {
                "sinceImagePushed" => {
                    expired.extend(mine.into_iter().filter(|n| images[*n].age_days as usize > number))
                }
                _ => {
                    // newest first
                    mine.sort_by_key(|n| images[*n].age_days);
                    expired.extend(mine.into_iter().skip(number));
                }
            }
        }
        (0..images.len()).filter(|n| !expired.contains(n)).collect()
    }

    /// ECR's `tagPatternList` wildcard: `*` matches any run of characters.
    fn glob(pattern: &str, tag: &str) -> bool {
        let parts: Vec<&str> = pattern.split('*').collect();
        let mut rest = tag;
        for (i, part) in parts.iter().enumerate() {
            if i == 0 {
                let Some(r) = rest.strip_prefix(part) else { return false };
                rest = r;
            } else if i == parts.len() - 1 {
                return rest.ends_with(part);
            } else {
                let Some(at) = rest.find(part) else { return false };
                rest = &rest[at + part.len()..];
            }
        }
        rest.is_empty()
    }

    /// A registry with 60 builds of two built services (web and worker share an image; jobs has
    /// its own), one a day, newest first, and a release list: builds deployed by a release carry
    /// the `kept_` tags. What is kept is exactly the newest 50 builds, every deployed build, and
    /// untagged images younger than a day.
    #[test]
    fn the_policy_keeps_exactly_the_newest_builds_and_every_deployed_one() {
        let build = |n: usize| format!("B{n:03}");
        // releases that ran builds 3, 55 and 59 (the last two beyond the newest 50), and a failed
        // one that ran 58 (a failed release's build is no more kept than any other)
        let deployed: BTreeSet<usize> = [3, 55, 59].into();
        let mut images = Vec::new();
        for n in 0..60 {
            for image in [vec!["web", "worker"], vec!["jobs"]] {
                let mut tags: Vec<String> = image.iter().map(|s| format!("{s}.{}", build(n))).collect();
                if deployed.contains(&n) {
                    let marks: Vec<String> = tags.iter().map(|t| kept_tag(t)).collect();
                    tags.extend(marks);
                }
                images.push(Image {
                    tags,
                    age_days: n as u32,
                });
            }
        }
        images.push(Image {
            tags: vec![],
            age_days: 0,
        });
        images.push(Image {
            tags: vec![],
            age_days: 3,
        });
        let kept = evaluate(&policy(2), &images);
        let kept_builds: BTreeSet<String> = kept
            .iter()
            .filter_map(|n| images[*n].tags.first())
            .map(|t| t.split('.').nth(1).unwrap().to_string())
            .collect();
        // a deployed build is rule 2's, so it does not take one of the 50 places of rule 3
        let mut expected: BTreeSet<String> = (0..60).filter(|n| !deployed.contains(n)).take(50).map(build).collect();
        assert!(expected.contains(&build(50)) && !expected.contains(&build(51)));
        expected.extend(deployed.iter().map(|n| build(*n)));
        assert_eq!(kept_builds, expected);
        // both images of each kept build, and the young untagged one; never the old untagged one
        assert_eq!(kept.len(), expected.len() * 2 + 1);
        assert!(kept.contains(&120) && !kept.contains(&121));
        assert!(!kept_builds.contains(&build(58)));
    }

    /// What ECR documents a policy must be (lifecycle policy properties; PutLifecyclePolicy): its
    /// text 100 to 30,720 characters; a unique `rulePriority` per rule, an `any` rule last; a
    /// `tagged` rule with a prefix or pattern list, an `untagged` one with neither; at most four
    /// wildcards per pattern; a `countNumber` of at least 1, with `countUnit` days only for
    /// `sinceImagePushed`. Held for every number of built services an app can have.
    #[test]
    fn the_lifecycle_policy_meets_what_ecr_documents() {
        for built in [0, 1, 7, 200] {
            let text = policy(built);
            assert!(
                (100..=30_720).contains(&text.chars().count()),
                "{} characters",
                text.len()
            );
            let p: Value = serde_json::from_str(&text).unwrap();
            let rules = p["rules"].as_array().unwrap();
            let priorities: BTreeSet<u64> = rules.iter().map(|r| r["rulePriority"].as_u64().unwrap()).collect();
            assert_eq!(priorities.len(), rules.len(), "unique rule priorities");
            let top = *priorities.iter().max().unwrap();
            for r in rules {
                let s = &r["selection"];
                let lists = ["tagPrefixList", "tagPatternList"].map(|k| s.get(k).is_some());
                match s["tagStatus"].as_str().unwrap() {
                    "tagged" => assert!(lists.iter().any(|x| *x), "{r}"),
                    "untagged" => assert!(lists.iter().all(|x| !x), "{r}"),
                    "any" => assert_eq!(r["rulePriority"].as_u64(), Some(top)),
                    other => panic!("tagStatus {other}"),
                }
                for pattern in s["tagPatternList"].as_array().into_iter().flatten() {
                    assert!(pattern.as_str().unwrap().matches('*').count() <= 4);
                }
                assert!(s["countNumber"].as_u64().unwrap() >= 1);
                let since = s["countType"] == "sinceImagePushed";
                assert_eq!(s.get("countUnit").is_some(), since, "{r}");
                assert!(since || s["countType"] == "imageCountMoreThan");
                assert_eq!(r["action"]["type"], "expire");
            }
        }
    }

    #[test]
    fn a_marker_tag_fits_ecr() {
        assert_eq!(kept_tag("web.BABC"), "kept_web.BABC");
        let long = format!("{}.B1", "s".repeat(125));
        assert_eq!(kept_tag(&long).len(), 5 + 64);
        assert!(policy(0).contains("\"countNumber\":50"));
        assert!(policy(3).contains("\"countNumber\":150"));
    }
}
