//! `run -a/--attach STREAM`: which of the container's standard streams a foreground run
//! connects to the terminal (all three when the flag is not given). What is left out still
//! goes to the container's log, as with podman.

use crate::spec::SpecError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachStreams {
    /// Only matters with `-i`: the caller's stdin reaches the container.
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl AttachStreams {
    pub const ALL: AttachStreams = AttachStreams {
        stdin: true,
        stdout: true,
        stderr: true,
    };

    /// The `--attach` values (each may be comma-separated, any case); none given is all.
    pub fn parse(values: &[String]) -> Result<AttachStreams, SpecError> {
        let names = crate::spec::parse::comma_list(values);
        if names.is_empty() {
            return Ok(Self::ALL);
        }
        let mut s = AttachStreams {
            stdin: false,
            stdout: false,
            stderr: false,
        };
        for n in names {
            match n.to_ascii_lowercase().as_str() {
                "stdin" => s.stdin = true,
                "stdout" => s.stdout = true,
                "stderr" => s.stderr = true,
                _ => return Err(SpecError::AttachStream(n)),
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_parse_as_podman_takes_them() {
        assert_eq!(AttachStreams::parse(&[]).unwrap(), AttachStreams::ALL);
        let s = AttachStreams::parse(&["STDOUT".into(), "stdin".into()]).unwrap();
        assert!(s.stdin && s.stdout && !s.stderr);
        assert!(AttachStreams::parse(&["stdio".into()]).is_err());
    }
}
