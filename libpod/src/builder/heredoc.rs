//! `RUN cmd <<EOF` heredocs (BuildKit's syntax, which podman's buildah follows): a heredoc
//! anywhere in a RUN's shell command, its body on the following lines.
//!
//! parse-dockerfile takes a heredoc only right after `RUN` (`RUN <<EOF`), so the body lines of
//! any other would read as instructions. They are cut out of the text before parsing, each line
//! left empty (line numbers in messages stay right), and handed back to that RUN, which runs its
//! command line and the bodies as one shell script: the shell then does the heredoc itself,
//! with its own quoting (`<<'EOF'`), tab stripping (`<<-EOF`) and expansion rules.

use std::collections::HashMap;

/// The delimiters of the heredocs `line` opens, in order, with whether tabs are stripped
/// (`<<-`). Quoted delimiters (`<<'EOF'`, `<<"EOF"`) end at the bare word.
fn delimiters(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        let mut s = &rest[at + 2..];
        // `<<<` is a here-string, not a heredoc.
        if s.starts_with('<') {
            rest = s.trim_start_matches('<');
            continue;
        }
        let strip = s.starts_with('-');
        if strip {
            s = &s[1..];
        }
        let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"');
        if let Some(q) = quote {
            s = &s[1..];
            let Some(end) = s.find(q) else { break };
            out.push((s[..end].to_string(), strip));
            rest = &s[end + 1..];
            continue;
        }
        let len = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        if len > 0 {
            out.push((s[..len].to_string(), strip));
        }
        rest = &s[len..];
    }
    out
}

/// The command part of a RUN line (after the keyword and its `--flags`), or None if the line
/// is no RUN.
fn run_command(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let (word, mut rest) = t.split_at(t.find(char::is_whitespace)?);
    if !word.eq_ignore_ascii_case("RUN") {
        return None;
    }
    loop {
        rest = rest.trim_start();
        if !rest.starts_with("--") {
            return Some(rest);
        }
        rest = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
    }
}

/// The text with the bodies of `RUN cmd <<EOF` heredocs emptied, and for each such RUN (by the
/// byte offset of its keyword in the returned text) the lines to append to its script:
/// a newline, then the body lines and terminators as written. `RUN <<EOF` (the parser's own
/// form), a RUN continued on the next line, and a heredoc never terminated are left alone.
pub fn cut_command_heredocs(text: &str) -> (String, HashMap<usize, String>) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut bodies = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let bare = line.trim_end_matches(['\n', '\r']);
        let delims = match run_command(bare) {
            Some(cmd) if !cmd.starts_with("<<") && !bare.ends_with('\\') => delimiters(cmd),
            _ => Vec::new(),
        };
        // Where each heredoc ends: every delimiter must be found, in order.
        let mut end = i + 1;
        let mut complete = !delims.is_empty();
        for (delim, strip) in &delims {
            let found = lines[end.min(lines.len())..].iter().position(|l| {
                let l = l.trim_end_matches(['\n', '\r']);
                let l = if *strip {
                    l.trim_start_matches('\t')
                } else {
                    l
                };
                l == delim
            });
            match found {
                Some(n) => end += n + 1,
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if !complete {
            out.push_str(line);
            i += 1;
            continue;
        }
        let keyword_at = out.len() + (line.len() - line.trim_start().len());
        out.push_str(line);
        let mut body = String::from("\n");
        for l in &lines[i + 1..end] {
            body.push_str(l.trim_end_matches(['\n', '\r']));
            body.push('\n');
            out.push('\n');
        }
        bodies.insert(keyword_at, body.trim_end_matches('\n').to_string());
        i = end;
    }
    (out, bodies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_and_lines_kept() {
        let text = "FROM x\nRUN cat <<EOF > /c\nline1\n  line2\nEOF\nRUN echo after\n";
        let (out, bodies) = cut_command_heredocs(text);
        assert_eq!(out, "FROM x\nRUN cat <<EOF > /c\n\n\n\nRUN echo after\n");
        assert_eq!(out.lines().count(), text.lines().count());
        let at = out.find("RUN cat").unwrap();
        assert_eq!(bodies[&at], "\nline1\n  line2\nEOF");
        assert_eq!(bodies.len(), 1);
    }

    #[test]
    fn several_quoted_and_tab_stripped_heredocs() {
        let text =
            "RUN --mount=type=cache,target=/c cat <<'A' <<-\"B\" >/f\n$x\nA\n\tb\n\tB\nRUN true\n";
        let (out, bodies) = cut_command_heredocs(text);
        assert_eq!(
            out,
            "RUN --mount=type=cache,target=/c cat <<'A' <<-\"B\" >/f\n\n\n\n\nRUN true\n"
        );
        assert_eq!(bodies[&0], "\n$x\nA\n\tb\n\tB");
    }

    #[test]
    fn left_alone_when_not_ours() {
        for text in [
            // The parser's own form.
            "RUN <<EOF\necho hi\nEOF\n",
            // Never terminated: the parser reports it.
            "RUN cat <<EOF\nno end\n",
            // Not a RUN, a here-string, a continued line.
            "COPY <<EOF /x\nhi\nEOF\n",
            "RUN cat <<< word\n",
            "RUN cat <<EOF \\\n  > /x\nEOF\n",
        ] {
            let (out, bodies) = cut_command_heredocs(text);
            assert_eq!(out, text);
            assert!(bodies.is_empty(), "{text:?}");
        }
    }
}
