//! Manual pages generated from the clap definitions (`burrow __manpages man/`), one page per
//! command and sub-command, named like podman's (burrow-run.1, burrow-container-ls.1). The
//! test `man_pages_are_current` fails when the committed pages differ from what this writes.

use std::path::Path;

use crate::commands::{Failure, Outcome};

pub fn write_all(dir: &Path) -> Outcome {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("create {}: {e}", dir.display())))?;
    let cmd = crate::help::command();
    write_page(&cmd, "burrow", dir)?;
    Ok(0)
}

fn write_page(cmd: &clap::Command, name: &str, dir: &Path) -> Result<(), Failure> {
    let cmd = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(|e| Failure::new(format!("render man page {name}: {e}")))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf)
        .map_err(|e| Failure::new(format!("write {}: {e}", path.display())))?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_page(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
