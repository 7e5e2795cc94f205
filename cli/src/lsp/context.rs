//! Where the cursor is in a convox.yml being typed — which keys lead to it, and whether it is at
//! a key, a key's value or a list item — read from the lines' indentation, so that it works on
//! the half-written text completion is asked for (which may not parse).

/// What the cursor is on.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// A key being written (`prefix` so far), in the map at `path`.
    Key { prefix: String },
    /// The value of `key` (`prefix` so far).
    Value { key: String, prefix: String },
    /// An item of the list at `path` (its last key names the list).
    Item { prefix: String },
}

#[derive(Debug, PartialEq, Eq)]
pub struct Context {
    /// The keys from the top to the map or list the cursor is in; `[]` for a map inside a list.
    pub path: Vec<String>,
    pub slot: Slot,
    /// The keys already written in that map (for a key slot).
    pub siblings: Vec<String>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `key:` or `key: value` at the start of `s` (after any `- `): the key and what follows the colon.
fn key_of(s: &str) -> Option<(&str, &str)> {
    let (k, rest) = s.split_once(':')?;
    if k.is_empty() || k.contains(char::is_whitespace) || k.starts_with('#') || k.starts_with('"') && !k.ends_with('"')
    {
        return None;
    }
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None; // `https:443` is a value, not a key
    }
    Some((k.trim_matches(|c| c == '"' || c == '\''), rest.trim()))
}

fn meaningful(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The key written at the start of the line that holds `offset`, when the offset is on it:
/// (the key path of the map it is in, the key, its byte range).
pub fn key_at(text: &str, offset: usize) -> Option<(Vec<String>, String, (usize, usize))> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    let lead = indent(line);
    let body = &line[lead..];
    let (dash, body) = match body.strip_prefix("- ") {
        Some(rest) => (2, rest),
        None => (0, body),
    };
    let (key, _) = key_of(body)?;
    let quoted = usize::from(body.starts_with(['"', '\'']));
    let from = start + lead + dash + quoted;
    let to = from + key.len();
    if offset < from || offset > to {
        return None;
    }
    let mut path = at(text, start + lead + dash).path;
    if dash > 0 {
        path.push("[]".into());
    }
    Some((path, key.to_string(), (from, to)))
}

/// The entries of a top-level section as the text has them (for a file that does not parse):
/// each name and the byte range of its key.
pub fn section_names(text: &str, section: &str) -> Vec<(String, (usize, usize))> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut child: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if !meaningful(line) {
            continue;
        }
        let i = indent(line);
        let body = line[i..].trim_end();
        if i == 0 {
            inside = key_of(body).is_some_and(|(k, v)| k == section && v.is_empty());
            child = None;
            continue;
        }
        if !inside || child.is_some_and(|c| i > c) {
            continue;
        }
        if let Some((k, _)) = key_of(body) {
            child = Some(i);
            out.push((k.to_string(), (here + i, here + i + k.len())));
        }
    }
    out
}

/// Where the block of the entry whose key starts at `key_start` ends: before the next line
/// indented as much or less.
pub fn block_end(text: &str, key_start: usize) -> usize {
    let start = text[..key_start].rfind('\n').map_or(0, |i| i + 1);
    let col = key_start - start;
    let mut end = text[key_start..].find('\n').map_or(text.len(), |i| key_start + i);
    let mut offset = (end + 1).min(text.len());
    for line in text[offset..].split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if !meaningful(line) {
            continue;
        }
        if indent(line) <= col {
            break;
        }
        end = here + line.trim_end().len();
    }
    end
}

/// The context at byte `offset` of `text`.
pub fn at(text: &str, offset: usize) -> Context {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[start..offset];
    let mut col = indent(before);
    let body = before.trim_start_matches(' ');
    let (slot, item) = if let Some(rest) = body.strip_prefix("- ").or_else(|| (body == "-").then_some("")) {
        match key_of(rest) {
            Some((k, v)) if rest.contains(": ") => (
                Slot::Value {
                    key: k.to_string(),
                    prefix: v.to_string(),
                },
                true,
            ),
            _ => (
                Slot::Item {
                    prefix: rest.to_string(),
                },
                true,
            ),
        }
    } else {
        match key_of(body) {
            Some((k, v)) if body.contains(": ") => (
                Slot::Value {
                    key: k.to_string(),
                    prefix: v.to_string(),
                },
                false,
            ),
            _ => (
                Slot::Key {
                    prefix: body.to_string(),
                },
                false,
            ),
        }
    };
    // a `- key: value` item is a map inside a list: its keys sit two columns in
    if item && matches!(slot, Slot::Value { .. }) {
        col += 2;
    }
    let lines: Vec<&str> = text[..start].lines().filter(|l| meaningful(l)).collect();
    let mut path = Vec::new();
    let mut siblings = Vec::new();
    let mut limit = col;
    let mut first = true;
    for line in lines.iter().rev() {
        let i = indent(line);
        let body = line.trim_start_matches(' ');
        // a list's items may sit at its key's own column
        let opens_list = matches!(slot, Slot::Item { .. }) && first && i == limit && !body.starts_with('-');
        if i > limit || (i == limit && !opens_list) {
            if first
                && i == limit
                && !body.starts_with('-')
                && let Some((k, _)) = key_of(body)
            {
                siblings.push(k.to_string());
            }
            continue;
        }
        if let Some(rest) = body.strip_prefix("- ") {
            // an item of a list of maps, whose keys are at `i + 2`
            if i < limit
                && let Some((k, _)) = key_of(rest)
            {
                if first && i + 2 == limit {
                    siblings.push(k.to_string());
                }
                path.push("[]".to_string());
                limit = i;
                first = false;
            }
            continue;
        }
        if let Some((k, v)) = key_of(body)
            && (v.is_empty() || v.starts_with('#') || v.starts_with('&') || v == "|" || v == ">")
        {
            path.push(k.to_string());
            limit = i;
            first = false;
            if i == 0 {
                break;
            }
        }
    }
    path.reverse();
    // the keys after the cursor's line, in the same map
    if matches!(slot, Slot::Key { .. }) {
        for line in text[offset..].lines().skip(1).filter(|l| meaningful(l)) {
            let i = indent(line);
            if i < col {
                break;
            }
            if i == col
                && let Some((k, _)) = key_of(line.trim_start())
            {
                siblings.push(k.to_string());
            }
        }
    }
    siblings.sort();
    siblings.dedup();
    Context { path, slot, siblings }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(text: &str) -> Context {
        let at_cursor = text.find('|').unwrap();
        at(&text.replace('|', ""), at_cursor)
    }

    #[test]
    fn keys_values_and_items() {
        let c = ctx("services:\n  web:\n    image: nginx\n    po|\n    command: x\n");
        assert_eq!(c.path, ["services", "web"]);
        assert_eq!(c.slot, Slot::Key { prefix: "po".into() });
        assert_eq!(c.siblings, ["command", "image"]);

        let c = ctx("resources:\n  db:\n    type: po|\n");
        assert_eq!(c.path, ["resources", "db"]);
        assert_eq!(
            c.slot,
            Slot::Value {
                key: "type".into(),
                prefix: "po".into()
            }
        );

        let c = ctx("services:\n  web:\n    links:\n      - |\n");
        assert_eq!(c.path, ["services", "web", "links"]);
        assert_eq!(c.slot, Slot::Item { prefix: "".into() });

        // items at the list key's own column
        let c = ctx("services:\n  web:\n    resources:\n    - da|\n");
        assert_eq!(c.path, ["services", "web", "resources"]);
        assert_eq!(c.slot, Slot::Item { prefix: "da".into() });

        let c = ctx("|");
        assert_eq!(c.path, Vec::<String>::new());

        let text = "services:\n  web:\n    image: x\n  api: {image: y}\nresources:\n  db:\n    type: postgres\n";
        let names: Vec<String> = section_names(text, "services").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["web", "api"]);
        let web = text.find("web").unwrap();
        assert_eq!(&text[web..block_end(text, web)], "web:\n    image: x");
        let (path, key, _) = key_at(text, text.find("image").unwrap() + 2).unwrap();
        assert_eq!(
            (path, key.as_str()),
            (vec!["services".to_string(), "web".to_string()], "image")
        );

        let c = ctx("services:\n  web:\n    nlb:\n      - port: 80\n        |\n");
        assert_eq!(c.path, ["services", "web", "nlb", "[]"]);
        assert_eq!(c.siblings, ["port"]);
    }
}
