//! Rebuilds libseccomp's filter program as a binary search over syscall-number ranges.
//!
//! Why: the kernel pays for a seccomp filter when it is loaded, about 0.25 µs per instruction
//! (conversion and JIT) plus an emulation of the filter for every syscall number (its allow
//! cache). libseccomp emits one comparison per syscall: podman's default profile becomes
//! ~1400 instructions and ~0.6 ms of every container start. Most of the table is runs of
//! consecutive numbers with the same action, so ranges shrink it several times over.
//!
//! How, without re-implementing libseccomp: the program is evaluated. Its decision for an
//! architecture and a syscall number can only change where the number crosses one of the
//! constants it compares against, so evaluating it once per interval between those constants
//! gives the whole table exactly. A syscall whose decision reads the arguments keeps
//! libseccomp's own instructions for it: the part of the program reachable from the first
//! argument load, copied with its jumps renumbered. The result is then checked against the
//! original on every interval and on argument values built from the program's constants; any
//! construct this does not understand, or any difference, keeps the original program.

use std::collections::{BTreeMap, BTreeSet};

type Insn = libc::sock_filter;

// Classic BPF opcode fields (linux/bpf_common.h).
const CLASS: u16 = 0x07;
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const SIZE_W: u16 = 0x00;
const MODE_IMM: u16 = 0x00;
const MODE_ABS: u16 = 0x20;
const MODE_MEM: u16 = 0x60;
const MODE_LEN: u16 = 0x80;
const SRC_X: u16 = 0x08;
const RVAL_A: u16 = 0x10;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;

/// Offsets in `struct seccomp_data`: nr, arch, then instruction pointer and arguments.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const DATA_LEN: u32 = 64;
/// Runaway guard for evaluation: a valid classic BPF program only jumps forward.
const MAX_STEPS: usize = 1 << 16;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
    Insn { code, jt, jf, k }
}

/// The input of a filter.
#[derive(Clone, Copy, Debug, Default)]
struct Data {
    nr: u32,
    arch: u32,
    ip: u64,
    args: [u64; 6],
}

impl Data {
    fn word(&self, off: u32) -> Option<u32> {
        let v = match off {
            0 => self.nr,
            4 => self.arch,
            8 => self.ip as u32,
            12 => (self.ip >> 32) as u32,
            16..=63 if off.is_multiple_of(4) => {
                let a = self.args[((off - 16) / 8) as usize];
                if (off - 16).is_multiple_of(8) {
                    a as u32
                } else {
                    (a >> 32) as u32
                }
            }
            _ => return None,
        };
        Some(v)
    }
}

/// Runs a program the way the kernel does (little-endian words; seccomp's subset). None for
/// anything invalid: such a program is never compacted.
fn run(prog: &[Insn], d: &Data) -> Option<u32> {
    let (mut a, mut x, mut mem, mut pc) = (0u32, 0u32, [0u32; 16], 0usize);
    for _ in 0..MAX_STEPS {
        let i = prog.get(pc)?;
        pc += 1;
        let k = i.k;
        match i.code & CLASS {
            LD => match i.code & !CLASS {
                c if c == SIZE_W | MODE_ABS => a = d.word(k)?,
                c if c == SIZE_W | MODE_IMM => a = k,
                c if c == SIZE_W | MODE_MEM => a = *mem.get(k as usize)?,
                c if c == SIZE_W | MODE_LEN => a = DATA_LEN,
                _ => return None,
            },
            LDX => match i.code & !CLASS {
                c if c == SIZE_W | MODE_IMM => x = k,
                c if c == SIZE_W | MODE_MEM => x = *mem.get(k as usize)?,
                c if c == SIZE_W | MODE_LEN => x = DATA_LEN,
                _ => return None,
            },
            ST => *mem.get_mut(k as usize)? = a,
            STX => *mem.get_mut(k as usize)? = x,
            ALU => {
                let v = if i.code & SRC_X != 0 { x } else { k };
                a = match i.code & 0xf0 {
                    0x00 => a.wrapping_add(v),
                    0x10 => a.wrapping_sub(v),
                    0x20 => a.wrapping_mul(v),
                    0x30 => a.checked_div(v)?,
                    0x40 => a | v,
                    0x50 => a & v,
                    0x60 => a.checked_shl(v).unwrap_or(0),
                    0x70 => a.checked_shr(v).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    0x90 => a.checked_rem(v)?,
                    0xa0 => a ^ v,
                    _ => return None,
                };
            }
            JMP => {
                let v = if i.code & SRC_X != 0 { x } else { k };
                let taken = match i.code & 0xf0 {
                    JA => {
                        pc = pc.checked_add(k as usize)?;
                        continue;
                    }
                    JEQ => a == v,
                    JGT => a > v,
                    JGE => a >= v,
                    JSET => a & v != 0,
                    _ => return None,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET => return Some(if i.code & RVAL_A != 0 { a } else { k }),
            _ => match i.code {
                // TAX, TXA
                0x07 => x = a,
                0x87 => a = x,
                _ => return None,
            },
        }
    }
    None
}

/// [`run`] on one input, for tests elsewhere.
#[cfg(test)]
pub(super) fn decision(prog: &[Insn], arch: u32, nr: u32, args: [u64; 6]) -> Option<u32> {
    run(
        prog,
        &Data {
            nr,
            arch,
            ip: 0,
            args,
        },
    )
}

/// What the original program does for one architecture and syscall-number interval.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Leaf {
    Ret(u32),
    /// The decision reads the arguments: continue with the original from this instruction.
    Args(usize),
}

/// Walks the program for `arch`/`nr` while it only loads those two and compares them with
/// constants. None when it does anything else first (the table would not be exact).
fn decide(prog: &[Insn], arch: u32, nr: u32) -> Option<Leaf> {
    let mut a = 0u32;
    let mut pc = 0usize;
    for _ in 0..MAX_STEPS {
        let i = prog.get(pc)?;
        match i.code {
            c if c == LD | SIZE_W | MODE_ABS => match i.k {
                OFF_NR => a = nr,
                OFF_ARCH => a = arch,
                _ => return Some(Leaf::Args(pc)),
            },
            c if c == RET => return Some(Leaf::Ret(i.k)),
            c if c == JMP | JA => {
                pc = pc.checked_add(i.k as usize + 1)?;
                continue;
            }
            c if c == JMP | JEQ || c == JMP | JGT || c == JMP | JGE => {
                let taken = match c & 0xf0 {
                    JEQ => a == i.k,
                    JGT => a > i.k,
                    _ => a >= i.k,
                };
                pc += 1 + usize::from(if taken { i.jt } else { i.jf });
                continue;
            }
            _ => return None,
        }
        pc += 1;
    }
    None
}

/// The instructions reachable from `start`, in program order. None if they use the X
/// register or scratch memory, whose values at `start` the copy would not carry over.
fn reachable(prog: &[Insn], start: usize) -> Option<Vec<usize>> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(pc) = todo.pop() {
        if !seen.insert(pc) {
            continue;
        }
        let i = prog.get(pc)?;
        let class = i.code & CLASS;
        let uses_x_or_mem = matches!(class, LDX | ST | STX | MISC)
            || (class == LD && i.code & 0xe0 == MODE_MEM)
            || (matches!(class, ALU | JMP) && i.code & SRC_X != 0);
        if uses_x_or_mem {
            return None;
        }
        match class {
            RET => {}
            JMP if i.code & 0xf0 == JA => todo.push(pc.checked_add(i.k as usize + 1)?),
            JMP => {
                todo.push(pc + 1 + usize::from(i.jt));
                todo.push(pc + 1 + usize::from(i.jf));
            }
            _ => todo.push(pc + 1),
        }
    }
    Some(seen.into_iter().collect())
}

/// Appends the instructions of `sub` (indices into `prog`, ascending) with their jumps
/// renumbered for the copy; the relative order is kept, so every jump still goes forward and
/// the copy is self-contained (position-independent).
fn copy_sub(out: &mut Vec<Insn>, prog: &[Insn], sub: &[usize]) -> Option<()> {
    let index: BTreeMap<usize, usize> = sub.iter().enumerate().map(|(n, &pc)| (pc, n)).collect();
    for (n, &pc) in sub.iter().enumerate() {
        let mut i = prog[pc];
        let rel = |to: usize| -> Option<usize> { index.get(&to)?.checked_sub(n + 1) };
        if i.code & CLASS == JMP {
            if i.code & 0xf0 == JA {
                i.k = u32::try_from(rel(pc + 1 + i.k as usize)?).ok()?;
            } else {
                i.jt = u8::try_from(rel(pc + 1 + usize::from(i.jt))?).ok()?;
                i.jf = u8::try_from(rel(pc + 1 + usize::from(i.jf))?).ok()?;
            }
        }
        out.push(i);
    }
    Some(())
}

/// `if A <op> k` run `then` else `otherwise`, both self-contained blocks: a short jump when
/// `otherwise` fits the 8-bit offset, else through a JA (32-bit offset).
fn branch(op: u16, k: u32, then: Vec<Insn>, otherwise: Vec<Insn>) -> Option<Vec<Insn>> {
    let mut out = Vec::with_capacity(then.len() + otherwise.len() + 2);
    match u8::try_from(otherwise.len()) {
        Ok(skip) => out.push(insn(JMP | op, skip, 0, k)),
        Err(_) => {
            out.push(insn(JMP | op, 0, 1, k));
            out.push(insn(JMP | JA, 0, 0, u32::try_from(otherwise.len()).ok()?));
        }
    }
    out.extend(otherwise);
    out.extend(then);
    Some(out)
}

/// The intervals of syscall numbers that behave alike: their first numbers, ascending.
fn breakpoints(prog: &[Insn]) -> Vec<u32> {
    let mut b = BTreeSet::from([0u32]);
    for i in prog {
        if i.code & CLASS == JMP && i.code & 0xf0 != JA {
            b.insert(i.k);
            if let Some(n) = i.k.checked_add(1) {
                b.insert(n);
            }
        }
    }
    b.into_iter().collect()
}

/// One architecture's table: (first number, leaf), consecutive equal leaves merged.
fn table(prog: &[Insn], arch: u32, points: &[u32]) -> Option<Vec<(u32, Leaf)>> {
    let mut out: Vec<(u32, Leaf)> = Vec::new();
    for &p in points {
        let leaf = decide(prog, arch, p)?;
        if out.last().map(|(_, l)| l) != Some(&leaf) {
            out.push((p, leaf));
        }
    }
    Some(out)
}

/// A binary search over `t` (A holds the syscall number), as a self-contained block.
fn tree(prog: &[Insn], t: &[(u32, Leaf)]) -> Option<Vec<Insn>> {
    if let [(_, leaf)] = t {
        let mut out = Vec::new();
        match leaf {
            Leaf::Ret(k) => out.push(insn(RET, 0, 0, *k)),
            Leaf::Args(pc) => copy_sub(&mut out, prog, &reachable(prog, *pc)?)?,
        }
        return Some(out);
    }
    let mid = t.len() / 2;
    branch(
        JGE,
        t[mid].0,
        tree(prog, &t[mid..])?,
        tree(prog, &t[..mid])?,
    )
}

/// The architectures the program tells apart: the constants it compares the arch word with,
/// found on every path (libseccomp dispatches some architectures only after the first one's
/// rules). None if it does anything with the arch word but test it for equality.
fn arches(prog: &[Insn]) -> Option<Vec<u32>> {
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Holds {
        Arch,
        Other,
    }
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![(0usize, Holds::Other)];
    while let Some((pc, holds)) = todo.pop() {
        if !seen.insert((pc, holds)) {
            continue;
        }
        let i = prog.get(pc)?;
        match i.code & CLASS {
            RET => {}
            LD if i.code == LD | SIZE_W | MODE_ABS => {
                let now = if i.k == OFF_ARCH {
                    Holds::Arch
                } else {
                    Holds::Other
                };
                todo.push((pc + 1, now));
            }
            JMP if i.code & 0xf0 == JA => todo.push((pc.checked_add(i.k as usize + 1)?, holds)),
            JMP => {
                if holds == Holds::Arch {
                    if i.code != JMP | JEQ {
                        return None;
                    }
                    found.insert(i.k);
                }
                todo.push((pc + 1 + usize::from(i.jt), holds));
                todo.push((pc + 1 + usize::from(i.jf), holds));
            }
            _ if holds == Holds::Arch => return None,
            _ => todo.push((pc + 1, Holds::Other)),
        }
    }
    (!found.is_empty()).then(|| found.into_iter().collect())
}

/// Inputs the check runs both programs on: every interval start and its neighbours, for each
/// architecture (and one the program does not know), with the arguments zero and, for each
/// argument word, each constant of the program (and its neighbours) in turn.
fn probes(prog: &[Insn], arches: &[u32], points: &[u32]) -> Vec<Data> {
    let mut consts: BTreeSet<u32> = BTreeSet::from([0, u32::MAX]);
    for i in prog {
        consts.insert(i.k);
        consts.insert(i.k.wrapping_add(1));
        consts.insert(i.k.wrapping_sub(1));
    }
    let mut out = Vec::new();
    let unknown_arch = (0..).find(|a| !arches.contains(a)).unwrap_or(0);
    for &arch in arches.iter().chain([&unknown_arch]) {
        for &p in points {
            for nr in [p.wrapping_sub(1), p, p.wrapping_add(1)] {
                let base = Data {
                    nr,
                    arch,
                    ..Data::default()
                };
                out.push(base);
                // Arguments only matter for the few syscalls whose rules read them.
                if matches!(decide(prog, arch, nr), Some(Leaf::Args(_))) {
                    for arg in 0..6 {
                        for &c in &consts {
                            for v in [
                                u64::from(c),
                                u64::from(c) << 32,
                                u64::from(c) * 0x1_0000_0001,
                            ] {
                                let mut d = base;
                                d.args[arg] = v;
                                out.push(d);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The compact equivalent of libseccomp's `prog`, or None to keep the original (a construct
/// this does not model, a larger result, or any difference found by the check).
pub fn compact(prog: &[Insn]) -> Option<Vec<Insn>> {
    let arches = arches(prog)?;
    let points = breakpoints(prog);
    // Any other architecture: what the original does with it (libseccomp kills), which must
    // not depend on anything else.
    let other = (0..).find(|a| !arches.contains(a))?;
    let mut rest = match (decide(prog, other, 0)?, decide(prog, other, u32::MAX)?) {
        (Leaf::Ret(x), Leaf::Ret(y)) if x == y => vec![insn(RET, 0, 0, x)],
        _ => return None,
    };
    // Built from the last architecture back: `if arch == a { load nr; search } else rest`.
    for &arch in arches.iter().rev() {
        let mut block = vec![insn(LD | SIZE_W | MODE_ABS, 0, 0, OFF_NR)];
        block.extend(tree(prog, &table(prog, arch, &points)?)?);
        rest = branch(JEQ, arch, block, rest)?;
    }
    let mut out = vec![insn(LD | SIZE_W | MODE_ABS, 0, 0, OFF_ARCH)];
    out.extend(rest);
    if out.len() >= prog.len() || out.len() > usize::from(u16::MAX) {
        return None;
    }
    let same = probes(prog, &arches, &points)
        .iter()
        .all(|d| run(prog, d).is_some() && run(prog, d) == run(&out, d));
    same.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86_64: u32 = 0xc000_003e;
    const I386: u32 = 0x4000_0003;
    const ALLOW: u32 = 0x7fff_0000;
    const ENOSYS: u32 = 0x0005_0000 | 38;
    const EPERM: u32 = 0x0005_0000 | 1;
    const KILL: u32 = 0x8000_0000;

    fn jeq(k: u32, jt: u8, jf: u8) -> Insn {
        insn(JMP | JEQ, jt, jf, k)
    }
    fn ld(off: u32) -> Insn {
        insn(LD | SIZE_W | MODE_ABS, 0, 0, off)
    }
    fn ret(k: u32) -> Insn {
        insn(RET, 0, 0, k)
    }

    /// libseccomp's shape by hand: arch dispatch, one jeq per syscall, an argument rule.
    /// x86_64: 0..=9 allowed, 10 allowed only when arg0 == 8, 20 EPERM, the rest ENOSYS.
    fn sample() -> Vec<Insn> {
        let mut p = vec![
            ld(OFF_ARCH),
            jeq(X86_64, 1, 0),
            jeq(I386, 19, 18),
            ld(OFF_NR),
        ];
        // 4..: ten allowed numbers, each jumping to the shared ALLOW at the end.
        let allow_at = 4 + 10 + 6 + 3;
        for nr in 0..10u32 {
            let here = p.len();
            p.push(jeq(nr, (allow_at - here - 1) as u8, 0));
        }
        p.extend([
            jeq(10, 0, 3), // 14
            ld(16),        // 15: arg0 (low word)
            jeq(8, 6, 0),  // 16 -> ALLOW at 23
            ret(ENOSYS),   // 17
            jeq(20, 0, 1), // 18
            ret(EPERM),    // 19
            ret(ENOSYS),   // 20
            ret(KILL),     // 21: unknown arch
            ld(OFF_NR),    // 22: i386: everything allowed
            ret(ALLOW),    // 23
        ]);
        p
    }

    #[test]
    fn sample_is_what_the_comments_say() {
        let p = sample();
        let at = |arch, nr, a0| {
            let mut d = Data {
                nr,
                arch,
                ..Data::default()
            };
            d.args[0] = a0;
            run(&p, &d)
        };
        assert_eq!(at(X86_64, 3, 0), Some(ALLOW));
        assert_eq!(at(X86_64, 10, 8), Some(ALLOW));
        assert_eq!(at(X86_64, 10, 9), Some(ENOSYS));
        assert_eq!(at(X86_64, 20, 0), Some(EPERM));
        assert_eq!(at(X86_64, 999, 0), Some(ENOSYS));
        assert_eq!(at(I386, 999, 0), Some(ALLOW));
        assert_eq!(at(7, 1, 0), Some(KILL));
    }

    #[test]
    fn compacts_ranges_and_keeps_argument_rules() {
        let p = sample();
        let c = compact(&p).expect("compacts");
        assert!(c.len() < p.len(), "{} >= {}", c.len(), p.len());
        for arch in [X86_64, I386, 0, 7, u32::MAX] {
            for nr in (0..64).chain([u32::MAX, 0x4000_0000]) {
                for a0 in [0u64, 8, 9, 8 << 32, u64::MAX] {
                    let mut d = Data {
                        nr,
                        arch,
                        ..Data::default()
                    };
                    d.args[0] = a0;
                    assert_eq!(run(&p, &d), run(&c, &d), "arch {arch:#x} nr {nr} arg0 {a0}");
                }
            }
        }
    }

    #[test]
    fn refuses_what_it_does_not_model() {
        // An ALU operation on the syscall number breaks the interval argument.
        let mut p = sample();
        p[3] = insn(ALU | 0x50, 0, 0, 0xff); // and #0xff instead of ld nr
        assert!(compact(&p).is_none());
        // A program that is not libseccomp's shape (no arch dispatch first).
        assert!(compact(&[ret(ALLOW)]).is_none());
    }
}
