//! `container runlabel LABEL IMAGE [ARG...]`: prints (`--display`) or runs the command an
//! image's label describes; libpod builds and runs it.

use clap::Args;
use libpod::Runtime;

use crate::commands::Outcome;
use crate::commands::registry::{Progress, RegistryArgs};

#[derive(Args, Debug)]
pub struct RunlabelArgs {
    /// Preview the command that the label would run
    #[arg(long)]
    display: bool,
    /// Assign a name to the container
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Suppress output information when installing images
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Replace existing container with a new one from the image
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The label whose value is the command (e.g. RUN, INSTALL)
    label: String,
    /// The image
    image: String,
    /// Arguments appended to the command
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn runlabel(rt: &Runtime, a: RunlabelArgs) -> Outcome {
    let progress = Progress::new(a.quiet);
    let cmd = rt.runlabel_command(
        &a.label,
        &a.image,
        &a.args,
        a.name.as_deref(),
        &a.registry.flags(),
        &progress,
    )?;
    if a.display {
        // podman shows its own name for the binary it would run.
        let mut shown = cmd.argv.clone();
        let exe = std::env::current_exe().ok();
        if let Some(first) = shown.first_mut()
            && exe.is_some_and(|e| e.display().to_string() == *first)
        {
            *first = crate::worker::args()
                .into_iter()
                .next()
                .unwrap_or_else(|| "burrow".into());
        }
        println!("command: {}", shown.join(" "));
        return Ok(0);
    }
    if a.replace {
        rt.runlabel_replace(&cmd)?;
    }
    rt.runlabel_run(&cmd, a.quiet)?;
    Ok(0)
}
