//! `.dockerignore` rules, matched as Docker and BuildKit match them (moby's `patternmatcher`): each line a
//! pattern relative to the context root in Go's `filepath.Match` syntax plus `**`, `!` for an exception, the
//! last matching pattern wins, and a pattern that matches a directory matches everything below it.

use regex::Regex;

/// One cleaned pattern and how it matches (moby's fast paths kept: they decide some edge cases, such as
/// `**foo` matching `barfoo`).
#[derive(Debug)]
struct Pattern {
    text: String,
    exception: bool,
    how: How,
}

#[derive(Debug)]
enum How {
    Exact,
    /// `text` minus its trailing `**` is a prefix of the path
    Prefix,
    /// `text` minus its leading `**` is a suffix of the path (or `**/x` matches `x`)
    Suffix,
    Regex(Regex),
}

/// The rules of one `.dockerignore` file, in order.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    patterns: Vec<Pattern>,
}

/// A line Docker would refuse (the message names the pattern).
#[derive(Debug, PartialEq)]
pub(crate) struct BadPattern(pub String);

impl Rules {
    /// Parse a `.dockerignore` file's text: a UTF-8 BOM and `#` comment lines (a `#` in the first column)
    /// dropped, each line trimmed, blank lines skipped, the pattern cleaned as Go's `filepath.Clean` cleans it
    /// and a leading `/` dropped, so `/foo`, `./foo` and `foo/` all mean `foo`.
    pub(crate) fn parse(text: &str) -> Result<Rules, BadPattern> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (exception, rest) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let mut pattern = if rest.is_empty() { String::new() } else { clean(rest) };
            if pattern.len() > 1 && pattern.starts_with('/') {
                pattern.remove(0);
            }
            lines.push(if exception { format!("!{pattern}") } else { pattern });
        }
        Rules::new(&lines)
    }

    /// The rules from patterns as moby's `patternmatcher.New` takes them (`!` marks an exception).
    pub(crate) fn new(lines: &[String]) -> Result<Rules, BadPattern> {
        let mut patterns = Vec::new();
        for line in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let cleaned = clean(line);
            let (exception, text) = match cleaned.strip_prefix('!') {
                Some("") => return Err(BadPattern("illegal exclusion pattern: \"!\"".into())),
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned),
            };
            if !well_formed(&text) {
                return Err(BadPattern(format!("syntax error in pattern {text:?}")));
            }
            let how = compile(&text).ok_or_else(|| BadPattern(format!("syntax error in pattern {text:?}")))?;
            patterns.push(Pattern { text, exception, how });
        }
        Ok(Rules { patterns })
    }

    /// Add an exception (`!path`) at the end.
    pub(crate) fn push_exception(&mut self, path: &str) {
        if let Ok(mut more) = Rules::new(&[format!("!{path}")]) {
            self.patterns.append(&mut more.patterns);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `path` (relative to the context root, `/`-separated) is excluded, its own parents
    /// considered too (moby's `MatchesOrParentMatches`).
    pub(crate) fn excludes(&self, path: &str) -> bool {
        self.matches(path, None).0
    }

    /// moby's `MatchesUsingParentResults`: whether `path` is excluded, given which patterns its parent
    /// directory matched (`None` for an entry of the context root, or when unknown: then every parent is
    /// tried). Returns the answer and what `path` matched, for its children.
    pub(crate) fn matches(&self, path: &str, parent: Option<&[bool]>) -> (bool, Vec<bool>) {
        let mut excluded = false;
        let mut matched = vec![false; self.patterns.len()];
        for (i, p) in self.patterns.iter().enumerate() {
            let mut hit = parent.is_some_and(|m| m[i]);
            if !hit {
                // an exclusion is only tried on a path not yet excluded, an exception only on one that is
                if p.exception != excluded {
                    continue;
                }
                hit = p.is_match(path);
                if !hit
                    && parent.is_none()
                    && let Some((dir, _)) = path.rsplit_once('/')
                {
                    hit = dir
                        .match_indices('/')
                        .map(|(i, _)| &dir[..i])
                        .chain([dir])
                        .any(|d| p.is_match(d));
                }
            }
            matched[i] = hit;
            if hit {
                excluded = !p.exception;
            }
        }
        (excluded, matched)
    }

    /// Whether an excluded directory `dir` must still be walked because an exception could re-include
    /// something below it: BuildKit's rule (any exception with a wildcard, or one under `dir/`).
    pub(crate) fn may_reinclude_below(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .any(|p| p.text.contains(['*', '?', '[', '\\']) || format!("{}/", p.text).starts_with(&prefix))
    }
}

impl Pattern {
    fn is_match(&self, path: &str) -> bool {
        match &self.how {
            How::Exact => path == self.text,
            How::Prefix => path.starts_with(&self.text[..self.text.len() - 2]),
            How::Suffix => {
                let suffix = &self.text[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| path == s)
            }
            How::Regex(re) => re.is_match(path),
        }
    }
}

/// Go's `filepath.Clean` on a `/`-separated path: repeated slashes, `.` and inner `..` removed; `..` at the
/// root of an absolute path dropped; the empty path is `.`.
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Match` syntax check (what `patternmatcher.New` refuses): a trailing `\`, an unclosed
/// `[`, a class that is empty or starts a range with `-` or `]`.
fn well_formed(pattern: &str) -> bool {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return false,
            '[' => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                let mut ranges = 0;
                loop {
                    if chars.peek() == Some(&']') && ranges > 0 {
                        chars.next();
                        break;
                    }
                    // one class member, or a range lo-hi; each must be followed by something
                    for side in 0..2 {
                        match chars.next() {
                            None | Some('-' | ']') => return false,
                            Some('\\') if chars.next().is_none() => return false,
                            Some(_) => {}
                        }
                        match chars.peek() {
                            None => return false,
                            Some('-') if side == 0 => {
                                chars.next();
                            }
                            Some(_) => break,
                        }
                    }
                    ranges += 1;
                }
            }
            _ => {}
        }
    }
    true
}

/// moby's translation of a pattern to a regular expression, with its fast paths for exact, prefix
/// (`foo/**`) and suffix (`**/foo`) patterns. `None`: the expression does not compile.
fn compile(pattern: &str) -> Option<How> {
    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut kind = Kind::Exact;
    let mut chars = pattern.chars().peekable();
    let mut first = true;
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if in_class {
            // Go's class members; Rust's nested classes and set operators kept literal
            match c {
                ']' => {
                    re.push(']');
                    in_class = false;
                    continue;
                }
                '\\' => {}
                '-' | '^' => {
                    re.push(c);
                    continue;
                }
                _ => {
                    re.push_str(&regex::escape(&c.to_string()));
                    continue;
                }
            }
        }
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                kind = Kind::Regex;
            }
            '\\' => match chars.next() {
                // punctuation escaped is itself; `\d` and the like keep their meaning in Go's regexp too
                Some(n) if n.is_ascii_punctuation() || !n.is_ascii() => {
                    re.push_str(&regex::escape(&n.to_string()));
                    kind = Kind::Regex;
                }
                Some(n) => {
                    re.push('\\');
                    re.push(n);
                    kind = Kind::Regex;
                }
                None => re.push_str("\\\\"),
            },
            '[' => {
                re.push(c);
                in_class = true;
                if chars.peek() == Some(&'^') {
                    re.push(chars.next().unwrap_or('^'));
                }
                kind = Kind::Regex;
            }
            ']' => {
                re.push_str("\\]");
                kind = Kind::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(c);
            }
            _ => re.push(c),
        }
        first = false;
    }
    Some(match kind {
        Kind::Exact => How::Exact,
        Kind::Prefix => How::Prefix,
        Kind::Suffix => How::Suffix,
        Kind::Regex => {
            re.push('$');
            How::Regex(Regex::new(&re).ok()?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Rules {
        Rules::parse(text).unwrap()
    }

    fn excluded(text: &str, path: &str) -> bool {
        rules(text).excludes(path)
    }

    #[test]
    fn clean_is_go_filepath_clean() {
        for (given, want) in [
            ("a/b/", "a/b"),
            ("./a", "a"),
            ("a//b", "a/b"),
            ("a/./b/../c", "a/c"),
            ("/a", "/a"),
            ("/../a", "/a"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("", "."),
            ("/", "/"),
            ("!./x", "!./x"),
        ] {
            assert_eq!(clean(given), want, "{given}");
        }
    }

    #[test]
    fn the_documented_examples() {
        // docs.docker.com's .dockerignore example
        let text = "# comment\n*/temp*\n*/*/temp*\ntemp?\n";
        assert!(excluded(text, "somedir/temporary.txt"));
        assert!(excluded(text, "somedir/temp"));
        assert!(excluded(text, "somedir/subdir/temporary.txt"));
        assert!(excluded(text, "tempa"));
        assert!(excluded(text, "tempb/inside"));
        assert!(!excluded(text, "temp"));
        assert!(!excluded(text, "temporary.txt"));
        assert!(!excluded(text, "a/b/c/temp"));
        // "**" matches any number of directories, zero included
        assert!(excluded("**/*.go", "x.go"));
        assert!(excluded("**/*.go", "a/b/x.go"));
        assert!(!excluded("**/*.go", "a/b/x.goo"));
        // an exception, and the last match wins
        let text = "*.md\n!README.md\n";
        assert!(excluded(text, "CHANGES.md"));
        assert!(!excluded(text, "README.md"));
        let text = "*.md\n!README*.md\nREADME-secret.md\n";
        assert!(excluded(text, "README-secret.md"));
        assert!(!excluded(text, "README-public.md"));
        let text = "*.md\nREADME-secret.md\n!README*.md\n";
        assert!(!excluded(text, "README-secret.md"));
    }

    #[test]
    fn a_directory_pattern_excludes_what_is_below_it() {
        assert!(excluded("node_modules", "node_modules"));
        assert!(excluded("node_modules", "node_modules/a/b.js"));
        assert!(!excluded("node_modules", "src/node_modules/a"));
        assert!(excluded("/node_modules/", "node_modules/a"));
        assert!(excluded("./build", "build/out"));
        assert!(excluded("**/node_modules", "src/node_modules/a"));
        assert!(excluded("a/**", "a/b"));
        assert!(!excluded("a/**", "ab"));
        assert!(excluded("*", "anything/at/all"));
    }

    #[test]
    fn go_match_syntax() {
        assert!(excluded("file[0-9].txt", "file3.txt"));
        assert!(!excluded("file[0-9].txt", "filex.txt"));
        assert!(excluded("file[^0-9].txt", "filex.txt"));
        assert!(!excluded("file[^0-9].txt", "file3.txt"));
        // `!` in a class is a member, not a negation (Go's syntax, unlike the shell's)
        assert!(excluded("file[!a]", "file!"));
        assert!(excluded("a\\*b", "a*b"));
        assert!(!excluded("a\\*b", "axb"));
        assert!(excluded("a.b", "a.b"));
        assert!(!excluded("a.b", "axb"));
        assert!(excluded("a+(b)|{c}$", "a+(b)|{c}$"));
        assert!(excluded("?", "a"));
        assert!(excluded("[[]x", "[x"));
        assert!(!excluded("a?c", "a/c"));
        assert!(!excluded("a*c", "a/c"));
        // moby's suffix fast path
        assert!(excluded("**foo", "barfoo"));
        assert!(excluded("**/foo", "foo"));
        assert!(!excluded("**/foo", "barfoo"));
    }

    #[test]
    fn comments_blank_lines_bom_and_spaces() {
        let r = rules("\u{feff}# a comment\n\n   \n  spaced  \n # not a comment\n");
        assert!(r.excludes("spaced"));
        assert!(r.excludes("# not a comment"));
        assert!(!r.excludes("a comment"));
        assert!(rules("#only\n\n").is_empty());
    }

    #[test]
    fn bad_patterns_are_refused() {
        for text in ["!", "a[", "a[]", "[-a]", "a\\", "[a-]", "[^]", "[\\"] {
            assert!(Rules::parse(text).is_err(), "{text:?} should be refused");
        }
        for text in ["a]", "[a-z]", "[\\]]", "[^a]", "[[]", "[a&&b]"] {
            assert!(Rules::parse(text).is_ok(), "{text:?} should be taken");
        }
        assert!(Rules::parse("[]a]x").is_err());
    }

    #[test]
    fn parent_results_follow_moby() {
        let r = rules("foo\n!foo/keep\n");
        let (ex, info) = r.matches("foo", None);
        assert!(ex);
        assert!(r.matches("foo/drop", Some(&info)).0);
        assert!(!r.matches("foo/keep", Some(&info)).0);
        assert!(r.may_reinclude_below("foo"));
        assert!(!r.may_reinclude_below("bar"));
        assert!(!rules("foo\n").may_reinclude_below("foo"));
        assert!(rules("foo\n!**/keep\n").may_reinclude_below("foo"));
        // a parent excluded, the exception above it in the file: the exclusion wins
        let r = rules("!foo/keep\nfoo\n");
        let (_, info) = r.matches("foo", None);
        assert!(r.matches("foo/keep", Some(&info)).0);
    }
}
