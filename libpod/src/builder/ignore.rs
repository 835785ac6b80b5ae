//! `.containerignore` / `.dockerignore`: which context files a build may see, with docker's
//! rules (moby's patternmatcher): patterns are cleaned paths relative to the context, `*` and
//! `?` stay within one path segment, `**` spans any number of segments, `[...]` classes, `\`
//! escapes; a pattern that matches a directory also matches everything under it; the LAST
//! matching pattern decides, and `!` re-includes. Written here because the gitignore crates
//! (`ignore`, `globset` in gitignore mode) anchor and re-include differently.

/// One parsed pattern.
#[derive(Clone, Debug)]
struct Pattern {
    chars: Vec<char>,
    exclusion: bool,
}

/// The parsed ignore file.
#[derive(Clone, Debug, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

impl Ignore {
    /// Parses the file's text (comments `#`, blank lines, `!` exclusions).
    pub fn parse(text: &str) -> Ignore {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (exclusion, p) = match l.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, l),
                };
                let cleaned = clean(p);
                (!cleaned.is_empty()).then(|| Pattern {
                    chars: cleaned.chars().collect(),
                    exclusion,
                })
            })
            .collect();
        Ignore { patterns }
    }

    /// True if `path` (relative to the context, `/`-separated) is left out of the build.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        let s: Vec<char> = path.chars().collect();
        let mut excluded = false;
        for p in &self.patterns {
            if matches_or_parent(&p.chars, &s) {
                excluded = !p.exclusion;
            }
        }
        excluded
    }

    /// True if some `!` pattern could re-include something under `dir`: then an excluded
    /// directory must still be walked.
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        let dir = clean(dir);
        self.patterns.iter().any(|p| {
            p.exclusion && {
                let text: String = p.chars.iter().collect();
                text.starts_with(&format!("{dir}/")) || text.contains('*') || text.contains('?')
            }
        })
    }
}

/// `filepath.Clean` of a relative path, without a leading `/` or `./`.
fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The pattern matches the path or one of its parent directories.
fn matches_or_parent(p: &[char], s: &[char]) -> bool {
    if glob(p, s) {
        return true;
    }
    s.iter()
        .enumerate()
        .filter(|(_, c)| **c == '/')
        .any(|(i, _)| glob(p, &s[..i]))
}

pub(crate) fn glob(p: &[char], s: &[char]) -> bool {
    let Some(&first) = p.first() else {
        return s.is_empty();
    };
    match first {
        '*' if p.get(1) == Some(&'*') => {
            let mut rest = &p[2..];
            if rest.first() == Some(&'/') {
                // `**/`: zero or more whole segments.
                rest = &rest[1..];
                glob(rest, s)
                    || s.iter()
                        .enumerate()
                        .filter(|(_, c)| **c == '/')
                        .any(|(i, _)| glob(rest, &s[i + 1..]))
            } else {
                (0..=s.len()).any(|k| glob(rest, &s[k..]))
            }
        }
        '*' => {
            let rest = &p[1..];
            for k in 0..=s.len() {
                if glob(rest, &s[k..]) {
                    return true;
                }
                if k < s.len() && s[k] == '/' {
                    break;
                }
            }
            false
        }
        '?' => !s.is_empty() && s[0] != '/' && glob(&p[1..], &s[1..]),
        '[' => match class(&p[1..], s.first().copied()) {
            Some((true, used)) => glob(&p[1 + used..], &s[1..]),
            _ => false,
        },
        '\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob(&p[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob(&p[1..], &s[1..]),
    }
}

/// Matches `c` against the class starting after `[`; returns (matched, chars used incl. `]`).
fn class(p: &[char], c: Option<char>) -> Option<(bool, usize)> {
    let c = c.filter(|c| *c != '/')?;
    let mut i = 0;
    let negate = matches!(p.first(), Some('^' | '!'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        let lo = if p[i] == '\\' && i + 1 < p.len() {
            i += 1;
            p[i]
        } else {
            p[i]
        };
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if lo <= c && c <= p[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if lo == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_documented_examples() {
        let ig = Ignore::parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        assert!(ig.excludes("somedir/temporary.txt"));
        assert!(ig.excludes("somedir/temp"));
        assert!(ig.excludes("somedir/subdir/temporary.txt"));
        assert!(ig.excludes("tempa"));
        assert!(!ig.excludes("tempab"));
        assert!(!ig.excludes("temporary.txt"));
    }

    #[test]
    fn double_star_and_directories() {
        let ig = Ignore::parse("**/*.go\n/build\n");
        assert!(ig.excludes("main.go"));
        assert!(ig.excludes("a/b/c.go"));
        assert!(!ig.excludes("a/b/c.rs"));
        assert!(ig.excludes("build"));
        assert!(ig.excludes("build/out/x.o"), "children of an excluded dir");
        assert!(!ig.excludes("src/build.rs"));
    }

    #[test]
    fn last_match_wins_and_exclusions_reinclude() {
        let ig = Ignore::parse("*.md\n!README*.md\nREADME-secret.md\n");
        assert!(ig.excludes("CHANGES.md"));
        assert!(!ig.excludes("README.md"));
        assert!(ig.excludes("README-secret.md"));
        assert!(ig.may_reinclude_under("docs"));
    }

    #[test]
    fn classes_and_escapes() {
        let ig = Ignore::parse("log[0-9].txt\nx[!a].y\nstar\\*\n");
        assert!(ig.excludes("log3.txt"));
        assert!(!ig.excludes("logx.txt"));
        assert!(ig.excludes("xb.y"));
        assert!(!ig.excludes("xa.y"));
        assert!(ig.excludes("star*"));
        assert!(!ig.excludes("starry"));
    }
}
