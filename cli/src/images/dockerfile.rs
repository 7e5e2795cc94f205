//! What convoxc reads from a Dockerfile: the names its ARG instructions declare (the build args a service's
//! environment may supply). Parsed as BuildKit reads the file: parser directives (`# escape=`), line
//! continuations, comments, quoting, heredocs.

/// The names declared by ARG instructions, in order, each once.
pub(crate) fn arg_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for words in instructions(text) {
        let Some((keyword, rest)) = words.split_first() else {
            continue;
        };
        if !keyword.eq_ignore_ascii_case("ARG") {
            continue;
        }
        for word in rest {
            let name = word.split_once('=').map_or(word.as_str(), |(name, _)| name);
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The escape character the file's parser directives choose (`\` unless `# escape=` says `` ` ``).
fn escape_char(lines: &[&str]) -> char {
    for line in lines {
        let Some(body) = line.trim().strip_prefix('#') else {
            return '\\';
        };
        let Some((key, value)) = body.split_once('=') else {
            return '\\';
        };
        let key = key.trim();
        // a directive's key is one word; anything else is a comment, and ends the directives
        if key.is_empty() || key.contains(char::is_whitespace) {
            return '\\';
        }
        if key.eq_ignore_ascii_case("escape") {
            return if value.trim() == "`" { '`' } else { '\\' };
        }
    }
    '\\'
}

/// Each instruction's words (quotes removed), continuation lines joined, comment lines dropped, the bodies
/// of heredocs skipped.
fn instructions(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let escape = escape_char(&lines);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i].trim_start();
        i += 1;
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut line = first;
        loop {
            let trimmed = line.trim_end();
            match trimmed.strip_suffix(escape) {
                Some(head) => {
                    logical.push_str(head);
                    // the next line that is not a comment or blank continues this one
                    let mut next = None;
                    while i < lines.len() {
                        let candidate = lines[i];
                        i += 1;
                        let t = candidate.trim_start();
                        if t.is_empty() || t.starts_with('#') {
                            continue;
                        }
                        next = Some(candidate);
                        break;
                    }
                    match next {
                        Some(n) => line = n,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(line);
                    break;
                }
            }
        }
        let words = split_words(&logical, escape);
        if let Some(keyword) = words.first()
            && ["RUN", "COPY", "ADD"].iter().any(|k| keyword.eq_ignore_ascii_case(k))
        {
            for (word, strip_tabs) in heredocs(&logical) {
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    let l = if strip_tabs { l.trim_start_matches('\t') } else { l };
                    if l == word {
                        break;
                    }
                }
            }
        }
        out.push(words);
    }
    out
}

/// The heredoc delimiters an instruction opens (`<<EOF`, `<<-EOF`, `<<"EOF"`), in order; `true` when its
/// lines may be indented with tabs (`<<-`).
fn heredocs(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        let mut after = &rest[at + 2..];
        let strip_tabs = after.starts_with('-');
        if strip_tabs {
            after = &after[1..];
        }
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            after = &after[1..];
            let end = after.find(q).unwrap_or(after.len());
            if end > 0 {
                out.push((after[..end].to_string(), strip_tabs));
            }
            rest = &after[end..];
            continue;
        }
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if end > 0 {
            out.push((after[..end].to_string(), strip_tabs));
        }
        rest = &after[end..];
    }
    out
}

/// Words separated by whitespace; quotes group and are removed; the escape character takes the next one
/// literally (inside single quotes it is itself).
fn split_words(line: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('\'') => word.push(c),
            Some(_) if c == escape => word.extend(chars.next()),
            Some(_) => word.push(c),
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                in_word = true;
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == escape {
                    word.extend(chars.next());
                } else {
                    word.push(c);
                }
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_forms() {
        let text = "FROM scratch\nARG A\narg b=1\nArG C=\"x y\" D\nARG A\nENV E=1\n";
        assert_eq!(arg_names(text), ["A", "b", "C", "D"]);
    }

    #[test]
    fn args_before_from_and_in_stages() {
        let text = "ARG BASE=alpine\nFROM ${BASE} AS build\nARG VERSION\nFROM scratch\nARG BASE\n";
        assert_eq!(arg_names(text), ["BASE", "VERSION"]);
    }

    #[test]
    fn continuations_and_comments() {
        let text = "FROM scratch\nARG A \\\n  B=2 \\\n# a comment inside\n\n  C\nRUN echo ARG X\n# ARG Y\n";
        assert_eq!(arg_names(text), ["A", "B", "C"]);
    }

    #[test]
    fn the_escape_directive() {
        let text = "# escape=`\nFROM scratch\nARG A `\n  B\nARG C=c:\\path\\\nARG D\n";
        assert_eq!(arg_names(text), ["A", "B", "C", "D"]);
        // a directive after a comment is a comment
        let text = "# hello\n# escape=`\nFROM scratch\nARG A `\nARG B\n";
        assert_eq!(arg_names(text), ["A", "`", "B"]);
        // `# syntax=` first, escape second: both directives
        let text = "# syntax=docker/dockerfile:1\n# escape=`\nARG A `\n B\n";
        assert_eq!(arg_names(text), ["A", "B"]);
    }

    #[test]
    fn quoted_values_with_spaces_and_equals() {
        let text = "ARG A='x y=z' B=\"q\\\"r s\" C=plain\n";
        assert_eq!(arg_names(text), ["A", "B", "C"]);
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let text = "FROM scratch\nRUN <<EOF\nARG NOT_ONE\nEOF\nCOPY <<-\"END\" /x\n\tARG NOR_THIS\n\tEND\nARG YES\n";
        assert_eq!(arg_names(text), ["YES"]);
    }

    #[test]
    fn nothing_declared() {
        assert!(arg_names("").is_empty());
        assert!(arg_names("FROM scratch\nCOPY a /a\n").is_empty());
        assert!(arg_names("ARG\n").is_empty());
    }
}
