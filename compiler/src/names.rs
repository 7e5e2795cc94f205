//! Name helpers: convox's `upperName`, and "did you mean" suggestions.

/// convox's `upperName`: `_` → `-`, then the first letter and every letter after a `-` are
/// upper-cased and the dashes removed (`q-train-intent` → `QTrainIntent`, `my_db` → `MyDb`).
pub fn upper_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == '-' || c == '_' {
            upper = true;
            continue;
        }
        if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let limit = match c.len().max(word.len()) {
            0..=3 => 1,
            4..=6 => 2,
            _ => 3,
        };
        // the distance is at least the difference in length: most candidates end here, before
        // the quadratic distance is computed (an error's help, 7 % of loading convox's full.yml)
        if c.chars().count().abs_diff(word.chars().count()) > limit {
            continue;
        }
        let cl = c.to_ascii_lowercase();
        let d = if cl == lower {
            0
        } else {
            strsim::damerau_levenshtein(&lower, &cl)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_name_matches_convox() {
        assert_eq!(upper_name("q-train-intent"), "QTrainIntent");
        assert_eq!(upper_name("my_db"), "MyDb");
        assert_eq!(upper_name("api-v2"), "ApiV2");
        assert_eq!(upper_name("readSourceDB"), "ReadSourceDB");
        assert_eq!(upper_name("owner-gid"), "OwnerGid");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("servicess", ["environment", "services", "timers"]),
            Some("services")
        );
        assert_eq!(suggest("resorces", ["resources", "scale"]), Some("resources"));
        assert_eq!(
            suggest("containerport", ["containerPort", "port"]),
            Some("containerPort")
        );
        assert_eq!(suggest("hooks", ["health", "port", "scale"]), None);
    }
}
