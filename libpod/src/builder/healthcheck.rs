//! HEALTHCHECK in a Containerfile: the instruction becomes docker's `Healthcheck` object of
//! the image config (`Test`, durations in nanoseconds, `Retries`), carried as a change line
//! `HEALTHCHECK {json}` that the commit writes into the config's JSON; `HEALTHCHECK NONE`
//! records `{"Test":["NONE"]}`, which turns an inherited check off.

use parse_dockerfile::{Command, HealthcheckArguments, HealthcheckInstruction};

use super::error::{BResult, BuildError};
use super::executor::{Builder, Stage};
use super::instruction::{flag, shell_text};
use crate::health::duration;
use crate::spec::health::ImageHealthcheck;

impl Builder<'_> {
    pub(super) fn healthcheck(
        &mut self,
        st: &mut Stage,
        i: &HealthcheckInstruction<'_>,
    ) -> BResult<()> {
        let test = match &i.arguments {
            HealthcheckArguments::Cmd { arguments, .. } => match arguments {
                Command::Exec(a) => std::iter::once("CMD".to_string())
                    .chain(a.value.iter().map(|s| s.value.to_string()))
                    .collect(),
                Command::Shell(s) => vec!["CMD-SHELL".into(), shell_text(s.value, self.escape)],
                _ => return Err(BuildError::new("HEALTHCHECK CMD: unsupported command form")),
            },
            _ => vec!["NONE".to_string()],
        };
        let opts = &i.options;
        let dur = |name: &str| -> BResult<u64> {
            match flag(opts, name) {
                None => Ok(0),
                Some(v) => duration::parse(v)
                    .map_err(|e| BuildError::new(format!("HEALTHCHECK --{name}={v}: {e}"))),
            }
        };
        let retries = match flag(opts, "retries") {
            None => 0,
            Some(v) => v.parse().map_err(|_| {
                BuildError::new(format!("HEALTHCHECK --retries={v}: must be a whole number"))
            })?,
        };
        let hc = ImageHealthcheck {
            test,
            interval: dur("interval")?,
            timeout: dur("timeout")?,
            start_period: dur("start-period")?,
            retries,
        };
        let json =
            serde_json::to_string(&hc).map_err(|e| BuildError::new(format!("HEALTHCHECK: {e}")))?;
        self.change(st, format!("HEALTHCHECK {json}"))
    }
}
