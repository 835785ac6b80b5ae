//! Parser: turns tokens into a tree of text, actions and control structures. Undefined
//! functions and variables, misplaced `{{end}}`/`{{else}}`/`{{break}}` and malformed
//! pipelines are reported here, before any data is seen.

use serde_json::Value;

use super::funcs;
use super::lex::{Tok, Token};

#[derive(Debug)]
pub(super) enum Node {
    Text(String),
    /// `{{pipeline}}`: prints the value unless the pipeline declares a variable.
    Action(Pipeline),
    If(Control),
    With(Control),
    Range(Control),
    Break,
    Continue,
}

#[derive(Debug)]
pub(super) struct Control {
    pub pipe: Pipeline,
    pub body: Vec<Node>,
    pub otherwise: Vec<Node>,
}

#[derive(Debug)]
pub(super) struct Pipeline {
    /// `$x :=` / `$x =` / `$i, $e :=` (the last only in `range`).
    pub vars: Vec<String>,
    /// `=` rather than `:=`: assigns to an existing variable.
    pub assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(super) struct Command {
    pub args: Vec<Operand>,
    /// Source span, for "executing ... at <...>" error context.
    pub span: (usize, usize),
}

#[derive(Debug)]
pub(super) enum Operand {
    Func(String),
    Dot,
    /// `.A.B` on dot.
    Field(Vec<String>),
    /// `$x.A.B` (`$` is the root).
    Var(String, Vec<String>),
    /// `(pipeline).A.B`
    Sub(Box<Pipeline>, Vec<String>),
    Lit(Value),
    Nil,
}

/// A parse error: message and byte offset.
pub(super) type ParseError = (String, usize);

pub(super) fn parse(toks: Vec<Token>, src_len: usize) -> Result<Vec<Node>, ParseError> {
    let mut p = Parser {
        toks,
        i: 0,
        src_len,
        vars: vec!["$".to_string()],
        range_depth: 0,
    };
    let (nodes, stop) = p.list()?;
    match stop {
        Stop::Eof => Ok(nodes),
        Stop::End(pos) => Err(("unexpected {{end}}".into(), pos)),
        Stop::Else(pos) => Err(("unexpected {{else}}".into(), pos)),
    }
}

enum Stop {
    Eof,
    End(usize),
    /// Positioned right after the `else` keyword.
    Else(usize),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    If,
    With,
    Range,
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    src_len: usize,
    /// Variables in scope, innermost last.
    vars: Vec<String>,
    range_depth: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Text(_) => "text".into(),
        Tok::LeftDelim => "\"{{\"".into(),
        Tok::RightDelim => "\"}}\"".into(),
        Tok::Ident(s) => format!("<{s}>"),
        Tok::Field(s) => format!("<.{s}>"),
        Tok::Dot => "<.>".into(),
        Tok::Variable(s) => format!("<{s}>"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Number(s) => format!("<{s}>"),
        Tok::Char(c) => format!("{c:?}"),
        Tok::Bool(b) => format!("<{b}>"),
        Tok::Nil => "<nil>".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.src_len, |t| t.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn unexpected(&self, context: &str) -> ParseError {
        match self.peek() {
            Some(t) => (
                format!("unexpected {} in {context}", describe(&t.tok)),
                t.pos,
            ),
            None => ("unexpected EOF".into(), self.src_len),
        }
    }

    fn expect_right(&mut self, context: &str) -> Result<(), ParseError> {
        if self.peek_tok() == Some(&Tok::RightDelim) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected(context))
        }
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), ParseError> {
        let mut nodes = Vec::new();
        while let Some(t) = self.next() {
            match t.tok {
                Tok::Text(s) => nodes.push(Node::Text(s)),
                Tok::LeftDelim => {
                    if let Some(stop) = self.action(&mut nodes)? {
                        return Ok((nodes, stop));
                    }
                }
                other => return Err((format!("unexpected {}", describe(&other)), t.pos)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    /// Parses the action after `{{`; returns a stop for `{{end}}` and `{{else ...`.
    fn action(&mut self, nodes: &mut Vec<Node>) -> Result<Option<Stop>, ParseError> {
        let pos = self.pos();
        let word = match self.peek_tok() {
            Some(Tok::Ident(w)) => w.clone(),
            _ => String::new(),
        };
        match word.as_str() {
            "if" | "with" | "range" => {
                self.i += 1;
                let kind = match word.as_str() {
                    "if" => Kind::If,
                    "with" => Kind::With,
                    _ => Kind::Range,
                };
                nodes.push(self.control(kind)?);
            }
            "end" => {
                self.i += 1;
                self.expect_right("end")?;
                return Ok(Some(Stop::End(pos)));
            }
            "else" => {
                self.i += 1;
                return Ok(Some(Stop::Else(pos)));
            }
            "break" | "continue" => {
                self.i += 1;
                if self.range_depth == 0 {
                    return Err((format!("{{{{{word}}}}} outside {{{{range}}}}"), pos));
                }
                self.expect_right(&word)?;
                nodes.push(if word == "break" {
                    Node::Break
                } else {
                    Node::Continue
                });
            }
            "define" | "template" | "block" => {
                return Err((format!("{{{{{word}}}}} is not supported"), pos));
            }
            _ => {
                let pipe = self.pipeline(1, &Tok::RightDelim, "command")?;
                nodes.push(Node::Action(pipe));
            }
        }
        Ok(None)
    }

    fn control(&mut self, kind: Kind) -> Result<Node, ParseError> {
        let mark = self.vars.len();
        let max_vars = if kind == Kind::Range { 2 } else { 1 };
        let pipe = self.pipeline(max_vars, &Tok::RightDelim, "command")?;
        if kind == Kind::Range {
            self.range_depth += 1;
        }
        let (body, stop) = self.list()?;
        if kind == Kind::Range {
            self.range_depth -= 1;
        }
        let otherwise = match stop {
            Stop::Eof => return Err(("unexpected EOF".into(), self.src_len)),
            Stop::End(_) => Vec::new(),
            Stop::Else(_) => {
                let chained = match self.peek_tok() {
                    Some(Tok::Ident(w)) if w == "if" && kind == Kind::If => Some(Kind::If),
                    Some(Tok::Ident(w)) if w == "with" && kind == Kind::With => Some(Kind::With),
                    _ => None,
                };
                if let Some(k) = chained {
                    // `{{else if x}}` is an `if` nested in the else branch that shares our `{{end}}`.
                    self.i += 1;
                    vec![self.control(k)?]
                } else {
                    self.expect_right("else")?;
                    let (otherwise, stop) = self.list()?;
                    match stop {
                        Stop::End(_) => otherwise,
                        Stop::Else(p) => return Err(("unexpected {{else}}".into(), p)),
                        Stop::Eof => return Err(("unexpected EOF".into(), self.src_len)),
                    }
                }
            }
        };
        self.vars.truncate(mark);
        let c = Control {
            pipe,
            body,
            otherwise,
        };
        Ok(match kind {
            Kind::If => Node::If(c),
            Kind::With => Node::With(c),
            Kind::Range => Node::Range(c),
        })
    }

    /// Parses `[decl] cmd | cmd ...` up to and including `end`.
    fn pipeline(&mut self, max_vars: usize, end: &Tok, ctx: &str) -> Result<Pipeline, ParseError> {
        let start = self.pos();
        let (vars, assign) = self.declaration(max_vars)?;
        let mut cmds = Vec::new();
        loop {
            match self.peek_tok() {
                Some(t) if t == end => {
                    self.i += 1;
                    break;
                }
                Some(Tok::Pipe) if !cmds.is_empty() => self.i += 1,
                Some(_) if cmds.is_empty() => {}
                _ => return Err(self.unexpected(ctx)),
            }
            if matches!(self.peek_tok(), Some(t) if t == end) {
                return Err(("missing command after \"|\"".into(), self.pos()));
            }
            let cmd = self.command(end)?;
            if !cmds.is_empty() && !matches!(cmd.args[0], Operand::Func(_)) {
                return Err(("can't give argument to non-function".into(), cmd.span.0));
            }
            cmds.push(cmd);
        }
        if cmds.is_empty() {
            return Err(("missing value for command".into(), start));
        }
        Ok(Pipeline { vars, assign, cmds })
    }

    fn declaration(&mut self, max_vars: usize) -> Result<(Vec<String>, bool), ParseError> {
        let var_at = |p: &Self, i: usize| match p.toks.get(i).map(|t| &t.tok) {
            Some(Tok::Variable(v)) => Some(v.clone()),
            _ => None,
        };
        let Some(first) = var_at(self, self.i) else {
            return Ok((Vec::new(), false));
        };
        let pos = self.pos();
        let (names, op_at) = match self.toks.get(self.i + 1).map(|t| &t.tok) {
            Some(Tok::Declare | Tok::Assign) => (vec![first], self.i + 1),
            Some(Tok::Comma) => match var_at(self, self.i + 2) {
                Some(second) if max_vars >= 2 => (vec![first, second], self.i + 3),
                _ => return Err(("too many declarations in command".into(), pos)),
            },
            _ => return Ok((Vec::new(), false)),
        };
        let assign = match self.toks.get(op_at).map(|t| &t.tok) {
            Some(Tok::Declare) => false,
            Some(Tok::Assign) => true,
            _ => return Err(("expected := after range variables".into(), pos)),
        };
        self.i = op_at + 1;
        for name in &names {
            if assign {
                if !self.vars.contains(name) {
                    return Err((format!("undefined variable \"{name}\""), pos));
                }
            } else {
                self.vars.push(name.clone());
            }
        }
        Ok((names, assign))
    }

    fn command(&mut self, end: &Tok) -> Result<Command, ParseError> {
        let start = self.pos();
        let mut args = Vec::new();
        loop {
            match self.peek_tok() {
                Some(Tok::Pipe) => break,
                Some(t) if t == end => break,
                None => return Err(self.unexpected("command")),
                _ => args.push(self.operand()?),
            }
        }
        let end_pos = self.pos();
        if args.is_empty() {
            return Err(self.unexpected("command"));
        }
        if args.len() > 1 && !matches!(args[0], Operand::Func(_)) {
            return Err(("can't give argument to non-function".into(), start));
        }
        Ok(Command {
            args,
            span: (start, end_pos),
        })
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        let Some(t) = self.next() else {
            return Err(("unexpected EOF".into(), self.src_len));
        };
        let pos = t.pos;
        let chainable = match t.tok {
            Tok::Ident(name) => {
                if !funcs::is_func(&name) {
                    return Err((format!("function \"{name}\" not defined"), pos));
                }
                return Ok(Operand::Func(name));
            }
            Tok::Dot => return Ok(Operand::Dot),
            Tok::Field(name) => {
                let mut chain = vec![name];
                chain.extend(self.fields());
                return Ok(Operand::Field(chain));
            }
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return Err((format!("undefined variable \"{name}\""), pos));
                }
                Operand::Var(name, Vec::new())
            }
            Tok::LParen => {
                let pipe = self.pipeline(1, &Tok::RParen, "parenthesized pipeline")?;
                Operand::Sub(Box::new(pipe), Vec::new())
            }
            Tok::Str(s) => Operand::Lit(Value::String(s)),
            Tok::Char(c) => Operand::Lit(Value::from(c as u32)),
            Tok::Bool(b) => Operand::Lit(Value::Bool(b)),
            Tok::Nil => Operand::Nil,
            Tok::Number(n) => Operand::Lit(
                number(&n).ok_or_else(|| (format!("bad number syntax: \"{n}\""), pos))?,
            ),
            other => return Err((format!("unexpected {} in operand", describe(&other)), pos)),
        };
        let chain = self.fields();
        Ok(match chainable {
            Operand::Var(n, _) => Operand::Var(n, chain),
            Operand::Sub(p, _) => Operand::Sub(p, chain),
            lit if chain.is_empty() => lit,
            _ => return Err(("unexpected . after term".into(), pos)),
        })
    }

    /// Field names glued to the previous token (`$x.A.B`, `(...).A`).
    fn fields(&mut self) -> Vec<String> {
        let mut chain = Vec::new();
        while let Some(Token {
            tok: Tok::Field(f),
            spaced: false,
            ..
        }) = self.peek()
        {
            chain.push(f.clone());
            self.i += 1;
        }
        chain
    }
}

/// Go number literals: decimal, 0x/0o/0b/leading-0 octal integers, `_` separators, floats.
fn number(text: &str) -> Option<Value> {
    let clean = text.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = digits.to_ascii_lowercase();
    let radix_int = if let Some(h) = lower.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        u64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<u64>().ok()
    };
    if let Some(u) = radix_int {
        return Some(if neg {
            Value::from(-i64::try_from(u).ok()?)
        } else {
            Value::from(u)
        });
    }
    if lower.starts_with("0x") || lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    let f: f64 = clean.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}
