//! Executor: walks the parsed tree over one JSON value. Never prints anything itself; the
//! whole output or the first error is handed back to the caller.

use serde_json::Value;

use super::funcs;
use super::parse::{Command, Control, Node, Operand, Pipeline};

#[derive(Debug)]
pub(super) struct ExecError {
    pub msg: String,
    /// Source span of the innermost command that failed.
    pub at: Option<(usize, usize)>,
}

type Res<T> = Result<T, ExecError>;

fn fail<T>(msg: impl Into<String>) -> Res<T> {
    Err(ExecError {
        msg: msg.into(),
        at: None,
    })
}

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) fn execute(nodes: &[Node], root: &Value) -> Res<String> {
    let mut st = State {
        vars: vec![("$".to_string(), root.clone())],
        out: String::new(),
        lenient: false,
    };
    st.walk(root, nodes)?;
    Ok(st.out)
}

struct State {
    /// Variables in scope, innermost last; `$` (the root) is always first.
    vars: Vec<(String, Value)>,
    out: String,
    /// Set while evaluating an `if`/`with` condition: a missing field is then just falsy.
    lenient: bool,
}

impl State {
    fn walk(&mut self, dot: &Value, nodes: &[Node]) -> Res<Flow> {
        for node in nodes {
            let flow = match node {
                Node::Text(s) => {
                    self.out.push_str(s);
                    Flow::Normal
                }
                Node::Action(pipe) => {
                    let v = self.pipeline(dot, pipe)?;
                    if pipe.vars.is_empty() {
                        self.out.push_str(&funcs::print_value(&v));
                    }
                    Flow::Normal
                }
                Node::If(c) => self.if_with(dot, c, false)?,
                Node::With(c) => self.if_with(dot, c, true)?,
                Node::Range(c) => self.range(dot, c)?,
                Node::Break => Flow::Break,
                Node::Continue => Flow::Continue,
            };
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn if_with(&mut self, dot: &Value, c: &Control, with: bool) -> Res<Flow> {
        let mark = self.vars.len();
        let lenient = std::mem::replace(&mut self.lenient, true);
        let cond = self.pipeline(dot, &c.pipe);
        self.lenient = lenient;
        let cond = cond?;
        let flow = if !funcs::truth(&cond) {
            self.walk(dot, &c.otherwise)
        } else if with {
            self.walk(&cond, &c.body)
        } else {
            self.walk(dot, &c.body)
        };
        self.vars.truncate(mark);
        flow
    }

    fn range(&mut self, dot: &Value, c: &Control) -> Res<Flow> {
        let mark = self.vars.len();
        // Lazily: `range N` counts as far as the template goes, never collected up front
        // (a large N was a capacity-overflow panic or an allocation failure).
        let items: Box<dyn Iterator<Item = (Value, Value)>> = match self.commands(dot, &c.pipe)? {
            Value::Array(a) => {
                Box::new(a.into_iter().enumerate().map(|(i, e)| (Value::from(i), e)))
            }
            // Go ranges over maps in sorted key order.
            Value::Object(o) => {
                let mut kv: Vec<_> = o.into_iter().collect();
                kv.sort_by(|a, b| a.0.cmp(&b.0));
                Box::new(kv.into_iter().map(|(k, v)| (Value::String(k), v)))
            }
            Value::Null => Box::new(std::iter::empty()),
            Value::Number(n) if n.as_u64().is_some() => {
                Box::new((0..n.as_u64().unwrap_or(0)).map(|i| (Value::from(i), Value::from(i))))
            }
            other => {
                return fail(format!(
                    "range can't iterate over {}",
                    funcs::go_fmt(&other)
                ));
            }
        };
        let mut items = items.peekable();
        if items.peek().is_none() {
            let flow = self.walk(dot, &c.otherwise);
            self.vars.truncate(mark);
            return flow;
        }
        for (key, elem) in items {
            let iter_mark = self.vars.len();
            match c.pipe.vars.as_slice() {
                [e] => self.bind(e, elem.clone(), c.pipe.assign)?,
                [k, e] => {
                    self.bind(k, key, c.pipe.assign)?;
                    self.bind(e, elem.clone(), c.pipe.assign)?;
                }
                _ => {}
            }
            let flow = self.walk(&elem, &c.body)?;
            self.vars.truncate(iter_mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn bind(&mut self, name: &str, v: Value, assign: bool) -> Res<()> {
        if !assign {
            self.vars.push((name.to_string(), v));
            return Ok(());
        }
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => fail(format!("undefined variable: {name}")),
        }
    }

    fn pipeline(&mut self, dot: &Value, pipe: &Pipeline) -> Res<Value> {
        let v = self.commands(dot, pipe)?;
        if let Some(name) = pipe.vars.first() {
            self.bind(name, v.clone(), pipe.assign)?;
        }
        Ok(v)
    }

    /// Runs the commands of a pipeline, each result feeding the next as its last argument.
    fn commands(&mut self, dot: &Value, pipe: &Pipeline) -> Res<Value> {
        let mut last = None;
        for cmd in &pipe.cmds {
            let v = self.command(dot, cmd, last.take()).map_err(|mut e| {
                e.at.get_or_insert(cmd.span);
                e
            })?;
            last = Some(v);
        }
        Ok(last.unwrap_or(Value::Null))
    }

    fn command(&mut self, dot: &Value, cmd: &Command, piped: Option<Value>) -> Res<Value> {
        match &cmd.args[0] {
            Operand::Func(name) => self.call(dot, name, &cmd.args[1..], piped),
            Operand::Nil => fail("nil is not a command"),
            // The parser only lets functions take arguments or piped values.
            op => self.operand(dot, op),
        }
    }

    fn call(
        &mut self,
        dot: &Value,
        name: &str,
        args: &[Operand],
        piped: Option<Value>,
    ) -> Res<Value> {
        if name == "and" || name == "or" {
            // Go evaluates these lazily: `and` stops at the first falsy argument, `or` at the
            // first truthy one, and either returns the last argument otherwise.
            if args.is_empty() && piped.is_none() {
                return fail(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                ));
            }
            let stop_on = name == "or";
            let mut last = Value::Null;
            for a in args {
                let v = self.operand(dot, a)?;
                if funcs::truth(&v) == stop_on {
                    return Ok(v);
                }
                last = v;
            }
            return Ok(piped.unwrap_or(last));
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.operand(dot, a)?);
        }
        vals.extend(piped);
        funcs::call(name, vals).or_else(fail)
    }

    fn operand(&mut self, dot: &Value, op: &Operand) -> Res<Value> {
        match op {
            Operand::Func(name) => self.call(dot, name, &[], None),
            Operand::Dot => Ok(dot.clone()),
            Operand::Field(chain) => self.fields(dot, chain),
            Operand::Var(name, chain) => {
                let Some((_, v)) = self.vars.iter().rev().find(|(n, _)| n == name) else {
                    return fail(format!("undefined variable: {name}"));
                };
                self.fields(v, chain)
            }
            Operand::Sub(pipe, chain) => {
                let v = self.pipeline(dot, pipe)?;
                self.fields(&v, chain)
            }
            Operand::Lit(v) => Ok(v.clone()),
            Operand::Nil => Ok(Value::Null),
        }
    }

    /// Follows `.A.B`: exact key first, then case-insensitively (podman accepts
    /// `.state.status`).
    fn fields(&self, base: &Value, chain: &[String]) -> Res<Value> {
        let mut cur = base;
        for name in chain {
            match cur {
                Value::Object(o) => match funcs::lookup(o, name) {
                    Some(v) => cur = v,
                    None if self.lenient => return Ok(Value::Null),
                    None => match funcs::map_zero(o) {
                        Some(zero) => return Ok(zero),
                        None => return fail(format!("can't evaluate field {name}")),
                    },
                },
                // A nil map or pointer: nothing below it.
                Value::Null => return Ok(Value::Null),
                other => {
                    return fail(format!(
                        "can't evaluate field {name} in type {}",
                        funcs::type_name(other)
                    ));
                }
            }
        }
        Ok(cur.clone())
    }
}
