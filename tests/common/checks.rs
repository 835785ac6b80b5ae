//! Assertions many end-to-end tests share: a refused command, and one object of `inspect`.

use serde_json::Value;

use super::{Env, Output};

impl Env {
    /// A refused command: exit 125, exactly one line on stderr, starting `Error:` and containing
    /// `needle`, and the containers (`ps -a -q`) the same before and after.
    #[track_caller]
    pub fn refused<S: AsRef<str>>(&self, args: &[S], needle: &str) -> Output {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let before = self.burrow(&["ps", "-a", "-q"]).ok();
        let out = self.burrow(&args).code(125);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line expected\n{out:?}");
        assert!(
            lines[0].starts_with("Error: ") && lines[0].contains(needle),
            "expected an Error: line naming {needle:?}\n{out:?}"
        );
        let after = self.burrow(&["ps", "-a", "-q"]).ok();
        assert_eq!(
            after.out(),
            before.out(),
            "a refused command changed the containers"
        );
        out
    }

    /// `inspect NAME`: the one object it prints.
    #[track_caller]
    pub fn inspect_one(&self, name: &str) -> Value {
        let out = self.burrow(&["inspect", name]).ok();
        let doc: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("inspect did not print JSON: {e}\n{out:?}"));
        doc[0].clone()
    }
}
