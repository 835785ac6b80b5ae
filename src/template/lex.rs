//! Lexer: splits a format into text and action tokens, applying Go's trim markers
//! (`{{- ` eats the whitespace before the action, ` -}}` the whitespace after it) and
//! dropping comments. Positions are byte offsets into the (escape-expanded) format.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    /// Function name or keyword (`if`, `range`, `end`, ...).
    Ident(String),
    /// `.Name`
    Field(String),
    /// A lone `.`
    Dot,
    /// `$` or `$name` (stored with the `$`).
    Variable(String),
    Str(String),
    Number(String),
    Char(char),
    Bool(bool),
    Nil,
    Declare,
    Assign,
    Comma,
    Pipe,
    LParen,
    RParen,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub pos: usize,
    /// Whitespace came right before this token: `$x .A` is two operands, `$x.A` one.
    pub spaced: bool,
}

/// A lexing error: message and byte offset.
pub(super) type LexError = (String, usize);

pub(super) fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let mut l = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
    };
    l.run()?;
    Ok(l.toks)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Token>,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn push(&mut self, tok: Tok, pos: usize, spaced: bool) {
        self.toks.push(Token { tok, pos, spaced });
    }

    fn run(&mut self) -> Result<(), LexError> {
        let mut trim_next_text = false;
        loop {
            let start = self.pos;
            let end = self.rest().find("{{").map_or(self.src.len(), |i| start + i);
            let mut text = &self.src[start..end];
            if trim_next_text {
                text = text.trim_start_matches(is_space);
            }
            if end == self.src.len() {
                if !text.is_empty() {
                    self.push(Tok::Text(text.to_string()), start, false);
                }
                return Ok(());
            }
            // `{{- ` needs the space: `{{-3}}` is the number -3.
            let after = &self.src[end + 2..];
            let left_trim = after.starts_with('-') && after[1..].starts_with(is_space);
            if left_trim {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.push(Tok::Text(text.to_string()), start, false);
            }
            self.pos = end + 2 + if left_trim { 2 } else { 0 };
            trim_next_text = self.action(end)?;
        }
    }

    /// Lexes one action after its `{{`; returns whether it ended with ` -}}`.
    fn action(&mut self, open: usize) -> Result<bool, LexError> {
        let body = self.rest().trim_start_matches(is_space);
        if let Some(comment) = body.strip_prefix("/*") {
            let close = comment
                .find("*/")
                .ok_or_else(|| ("unclosed comment".to_string(), open))?;
            let after = &comment[close + 2..];
            let trimmed = after.trim_start_matches(is_space);
            let (right_trim, skip) = if trimmed.starts_with("-}}") && trimmed.len() < after.len() {
                (true, after.len() - trimmed.len() + 3)
            } else if after.starts_with("}}") {
                (false, 2)
            } else {
                return Err(("comment ends before closing delimiter".into(), open));
            };
            self.pos = self.src.len() - after.len() + skip;
            return Ok(right_trim);
        }
        self.push(Tok::LeftDelim, open, false);
        let mut spaced = false;
        loop {
            let pos = self.pos;
            let Some(c) = self.rest().chars().next() else {
                return Err(("unclosed action".into(), open));
            };
            if is_space(c) {
                let rest = self.rest();
                let trimmed = rest.trim_start_matches(is_space);
                self.pos += rest.len() - trimmed.len();
                if trimmed.starts_with("-}}") {
                    self.push(Tok::RightDelim, self.pos, true);
                    self.pos += 3;
                    return Ok(true);
                }
                spaced = true;
                continue;
            }
            if self.rest().starts_with("}}") {
                self.push(Tok::RightDelim, pos, spaced);
                self.pos += 2;
                return Ok(false);
            }
            let tok = self.token(c)?;
            self.push(tok, pos, spaced);
            spaced = false;
        }
    }

    fn token(&mut self, c: char) -> Result<Tok, LexError> {
        let pos = self.pos;
        let rest = self.rest();
        let next = rest[c.len_utf8()..].chars().next();
        let simple = |len: usize, tok: Tok| (len, tok);
        let (len, tok) = match c {
            '|' => simple(1, Tok::Pipe),
            ',' => simple(1, Tok::Comma),
            '(' => simple(1, Tok::LParen),
            ')' => simple(1, Tok::RParen),
            '=' => simple(1, Tok::Assign),
            ':' if next == Some('=') => simple(2, Tok::Declare),
            '"' => return self.quoted(),
            '`' => {
                let close = rest[1..]
                    .find('`')
                    .ok_or_else(|| ("unterminated raw quoted string".to_string(), pos))?;
                self.pos += close + 2;
                return Ok(Tok::Str(rest[1..close + 1].to_string()));
            }
            '\'' => return self.char_const(),
            '$' => {
                let n = alnum_len(&rest[1..]);
                simple(1 + n, Tok::Variable(rest[..1 + n].to_string()))
            }
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => return self.number(),
            '.' => {
                let n = alnum_len(&rest[1..]);
                if n == 0 {
                    simple(1, Tok::Dot)
                } else {
                    simple(1 + n, Tok::Field(rest[1..1 + n].to_string()))
                }
            }
            '0'..='9' => return self.number(),
            '+' | '-' if next.is_some_and(|n| n.is_ascii_digit() || n == '.') => {
                return self.number();
            }
            c if is_alnum(c) => {
                let n = alnum_len(rest);
                let word = &rest[..n];
                let tok = match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "nil" => Tok::Nil,
                    _ => Tok::Ident(word.to_string()),
                };
                simple(n, tok)
            }
            c => {
                let what = if c == '}' {
                    "unexpected \"}\" in operand".to_string()
                } else {
                    format!("bad character U+{:04X} '{c}'", c as u32)
                };
                return Err((what, pos));
            }
        };
        self.pos += len;
        Ok(tok)
    }

    fn number(&mut self) -> Result<Tok, LexError> {
        let rest = self.rest();
        let mut len = 0;
        let mut prev = ' ';
        for (i, c) in rest.char_indices() {
            let sign_ok = i == 0 || matches!(prev, 'e' | 'E' | 'p' | 'P');
            if is_alnum(c) || c == '.' || (matches!(c, '+' | '-') && sign_ok) {
                len = i + c.len_utf8();
                prev = c;
            } else {
                break;
            }
        }
        self.pos += len;
        Ok(Tok::Number(rest[..len].to_string()))
    }

    fn quoted(&mut self) -> Result<Tok, LexError> {
        let pos = self.pos;
        let mut out = String::new();
        let mut chars = self.rest()[1..].char_indices();
        // Real newlines are accepted (Go refuses them): podman expands `\n` before parsing,
        // so `{{join .Names "\n"}}` would otherwise be a syntax error.
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 2;
                    return Ok(Tok::Str(out));
                }
                '\\' => out.push(unescape(&mut chars, '"').map_err(|m| (m, pos))?),
                c => out.push(c),
            }
        }
        Err(("unterminated quoted string".into(), pos))
    }

    fn char_const(&mut self) -> Result<Tok, LexError> {
        let pos = self.pos;
        let mut chars = self.rest()[1..].char_indices();
        let bad = || ("malformed character constant".to_string(), pos);
        let c = match chars.next() {
            Some((_, '\\')) => unescape(&mut chars, '\'').map_err(|m| (m, pos))?,
            Some((_, '\'')) | None => return Err(bad()),
            Some((_, c)) => c,
        };
        match chars.next() {
            Some((i, '\'')) => {
                self.pos += i + 2;
                Ok(Tok::Char(c))
            }
            _ => Err(bad()),
        }
    }
}

fn alnum_len(s: &str) -> usize {
    s.find(|c| !is_alnum(c)).unwrap_or(s.len())
}

/// Decodes one Go escape sequence after its backslash.
fn unescape(chars: &mut std::str::CharIndices, quote: char) -> Result<char, String> {
    let bad = || "invalid escape sequence in quoted string".to_string();
    let (_, c) = chars.next().ok_or_else(bad)?;
    let hex = |chars: &mut std::str::CharIndices, n: usize| -> Result<char, String> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|(_, c)| c.to_digit(16))
                .ok_or_else(bad)?;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or_else(bad)
    };
    Ok(match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        '\\' => '\\',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        '0'..='7' => {
            let mut v = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                let d = chars
                    .next()
                    .and_then(|(_, c)| c.to_digit(8))
                    .ok_or_else(bad)?;
                v = v * 8 + d;
            }
            char::from_u32(v).ok_or_else(bad)?
        }
        c if c == quote => c,
        _ => return Err(bad()),
    })
}
