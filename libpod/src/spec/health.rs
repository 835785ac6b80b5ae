//! The healthcheck flags (`--health-*`, `--no-healthcheck`): their strings as given
//! ([`HealthOptions`]), the typed section they become ([`HealthSpec`]), the image's docker
//! `Healthcheck` (which `oci_spec`'s image config does not carry, so it is read from the
//! config's JSON), and the merge of the two into the stored [`HealthConfig`].

use serde::Deserialize;

use super::SpecError;
use crate::health::{
    self, HealthConfig, LogDestination, OnFailure, StartupCheck, duration, parse_test,
};

/// The flags as typed; `None` where not given.
#[derive(Clone, Debug, Default)]
pub struct HealthOptions {
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub retries: Option<String>,
    pub on_failure: Option<String>,
    pub startup_cmd: Option<String>,
    pub startup_interval: Option<String>,
    pub startup_timeout: Option<String>,
    pub startup_retries: Option<String>,
    pub startup_success: Option<String>,
    pub log_destination: Option<String>,
    pub max_log_count: Option<String>,
    pub max_log_size: Option<String>,
    /// `--no-healthcheck`.
    pub disable: bool,
}

/// The healthcheck the user asked for; fields left `None` take the image's, then podman's
/// defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthSpec {
    /// Docker's test form (`CMD`, `CMD-SHELL` or `NONE`).
    pub test: Option<Vec<String>>,
    pub interval: Option<u64>,
    pub timeout: Option<u64>,
    pub start_period: Option<u64>,
    pub retries: Option<u32>,
    pub on_failure: OnFailure,
    pub startup: Option<StartupCheck>,
    pub log_destination: LogDestination,
    pub max_log_count: Option<u32>,
    pub max_log_size: Option<u32>,
    /// `--no-healthcheck`: none, not even the image's.
    pub disabled: bool,
}

fn bad(flag: &'static str, value: &str, why: impl Into<String>) -> SpecError {
    SpecError::Health {
        flag,
        value: value.to_string(),
        why: why.into(),
    }
}

/// A duration flag: Go syntax, at least `min_ns`.
fn dur(flag: &'static str, v: &str, min_ns: u64, min_text: &str) -> Result<u64, SpecError> {
    let ns = duration::parse(v).map_err(|e| bad(flag, v, e))?;
    if ns < min_ns {
        return Err(bad(flag, v, format!("must be at least {min_text}")));
    }
    Ok(ns)
}

fn count(flag: &'static str, v: &str, min: u32) -> Result<u32, SpecError> {
    let n: u32 = v
        .parse()
        .map_err(|_| bad(flag, v, "must be a whole number"))?;
    if n < min {
        return Err(bad(flag, v, format!("must be at least {min}")));
    }
    Ok(n)
}

impl TryFrom<&HealthOptions> for HealthSpec {
    type Error = SpecError;

    fn try_from(o: &HealthOptions) -> Result<HealthSpec, SpecError> {
        const SEC: u64 = 1_000_000_000;
        let test = o
            .cmd
            .as_deref()
            .map(|c| parse_test(c).map_err(|e| bad("--health-cmd", c, e)))
            .transpose()?;
        if o.disable && test.as_ref().is_some_and(|t| t[0] != "NONE") {
            return Err(bad(
                "--no-healthcheck",
                "true",
                "conflicts with --health-cmd: give one of them",
            ));
        }
        let interval = o
            .interval
            .as_deref()
            .map(|v| match v {
                "disable" => Ok(0),
                v => dur("--health-interval", v, SEC, "1s"),
            })
            .transpose()?;
        let timeout = o
            .timeout
            .as_deref()
            .map(|v| dur("--health-timeout", v, SEC, "1s"))
            .transpose()?;
        let start_period = o
            .start_period
            .as_deref()
            .map(|v| dur("--health-start-period", v, 0, "0s"))
            .transpose()?;
        let retries = o
            .retries
            .as_deref()
            .map(|v| count("--health-retries", v, 1))
            .transpose()?;
        let on_failure = match o.on_failure.as_deref() {
            None => OnFailure::None,
            Some(v) => OnFailure::parse(v)
                .ok_or_else(|| bad("--health-on-failure", v, "use none, kill, restart or stop"))?,
        };
        let log_destination = match o.log_destination.as_deref() {
            None | Some("local") => LogDestination::Local,
            Some("events_logger") => LogDestination::EventsLogger,
            Some(d) if d.starts_with('/') && std::path::Path::new(d).is_dir() => {
                LogDestination::Directory(d.into())
            }
            Some(d) => {
                return Err(bad(
                    "--health-log-destination",
                    d,
                    "use local, events_logger or the absolute path of an existing directory",
                ));
            }
        };
        let max_log_count = o
            .max_log_count
            .as_deref()
            .map(|v| count("--health-max-log-count", v, 0))
            .transpose()?;
        let max_log_size = o
            .max_log_size
            .as_deref()
            .map(|v| count("--health-max-log-size", v, 0))
            .transpose()?;
        let startup = match o.startup_cmd.as_deref() {
            Some(c) => {
                let test = parse_test(c).map_err(|e| bad("--health-startup-cmd", c, e))?;
                if test[0] == "NONE" {
                    return Err(bad("--health-startup-cmd", c, "must name a command"));
                }
                let mut s = StartupCheck {
                    test,
                    ..Default::default()
                };
                if let Some(v) = &o.startup_interval {
                    s.interval = match v.as_str() {
                        "disable" => 0,
                        v => dur("--health-startup-interval", v, SEC, "1s")?,
                    };
                }
                if let Some(v) = &o.startup_timeout {
                    s.timeout = dur("--health-startup-timeout", v, SEC, "1s")?;
                }
                if let Some(v) = &o.startup_retries {
                    s.retries = count("--health-startup-retries", v, 0)?;
                }
                if let Some(v) = &o.startup_success {
                    s.success = count("--health-startup-success", v, 0)?;
                }
                Some(s)
            }
            None => None,
        };
        Ok(HealthSpec {
            test,
            interval,
            timeout,
            start_period,
            retries,
            on_failure,
            startup,
            log_destination,
            max_log_count,
            max_log_size,
            disabled: o.disable,
        })
    }
}

/// Docker's `config.Healthcheck` of an image (durations in nanoseconds, 0 for unset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageHealthcheck {
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub interval: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_period: u64,
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub retries: u32,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// The `Healthcheck` of an image config's JSON, if it has one.
pub fn image_healthcheck(config_json: &[u8]) -> Option<ImageHealthcheck> {
    #[derive(Deserialize)]
    struct Top {
        config: Option<Run>,
    }
    #[derive(Deserialize)]
    struct Run {
        #[serde(rename = "Healthcheck")]
        healthcheck: Option<ImageHealthcheck>,
    }
    // Most images have none: a byte search spares them a second parse of their config.
    if !config_json
        .windows(b"\"Healthcheck\"".len())
        .any(|w| w == b"\"Healthcheck\"")
    {
        return None;
    }
    let top: Top = serde_json::from_slice(config_json).ok()?;
    top.config?.healthcheck.filter(|h| !h.test.is_empty())
}

/// The stored check: the user's flags over the image's HEALTHCHECK over podman's defaults;
/// `None` when there is no command, it is `NONE`, or `--no-healthcheck` was given.
pub fn merge(spec: &HealthSpec, image: Option<&ImageHealthcheck>) -> Option<HealthConfig> {
    if spec.disabled {
        return None;
    }
    let test = spec
        .test
        .clone()
        .or_else(|| image.map(|i| i.test.clone()))?;
    health::test_argv(&test)?;
    let nonzero = |v: u64| (v > 0).then_some(v);
    let d = HealthConfig::default();
    Some(HealthConfig {
        test,
        interval: spec
            .interval
            .or_else(|| image.and_then(|i| nonzero(i.interval)))
            .unwrap_or(d.interval),
        timeout: spec
            .timeout
            .or_else(|| image.and_then(|i| nonzero(i.timeout)))
            .unwrap_or(d.timeout),
        start_period: spec
            .start_period
            .or_else(|| image.map(|i| i.start_period))
            .unwrap_or(0),
        retries: spec
            .retries
            .or_else(|| image.and_then(|i| (i.retries > 0).then_some(i.retries)))
            .unwrap_or(d.retries),
        on_failure: spec.on_failure,
        startup: spec.startup.clone(),
        log_destination: spec.log_destination.clone(),
        max_log_count: spec.max_log_count.unwrap_or(d.max_log_count),
        max_log_size: spec.max_log_size.unwrap_or(d.max_log_size),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(o: HealthOptions) -> Result<HealthSpec, SpecError> {
        HealthSpec::try_from(&o)
    }

    #[test]
    fn flags_parse_with_go_durations() {
        let s = spec(HealthOptions {
            cmd: Some("test -e /tmp/ok".into()),
            interval: Some("1m30s".into()),
            retries: Some("5".into()),
            on_failure: Some("kill".into()),
            startup_cmd: Some("true".into()),
            startup_success: Some("2".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.interval, Some(90_000_000_000));
        assert_eq!(s.retries, Some(5));
        assert_eq!(s.on_failure, OnFailure::Kill);
        assert_eq!(s.startup.as_ref().map(|s| s.success), Some(2));
        let c = merge(&s, None).unwrap();
        assert_eq!(c.timeout, 30_000_000_000);
        assert_eq!(c.test, ["CMD-SHELL", "test -e /tmp/ok"]);
    }

    #[test]
    fn bad_values_name_the_flag() {
        let cases: [(HealthOptions, &str); 6] = [
            (
                HealthOptions {
                    interval: Some("10".into()),
                    ..Default::default()
                },
                "--health-interval",
            ),
            (
                HealthOptions {
                    interval: Some("500ms".into()),
                    ..Default::default()
                },
                "--health-interval",
            ),
            (
                HealthOptions {
                    retries: Some("0".into()),
                    ..Default::default()
                },
                "--health-retries",
            ),
            (
                HealthOptions {
                    on_failure: Some("explode".into()),
                    ..Default::default()
                },
                "--health-on-failure",
            ),
            (
                HealthOptions {
                    log_destination: Some("relative/dir".into()),
                    ..Default::default()
                },
                "--health-log-destination",
            ),
            (
                HealthOptions {
                    cmd: Some("true".into()),
                    disable: true,
                    ..Default::default()
                },
                "--no-healthcheck",
            ),
        ];
        for (o, flag) in cases {
            let e = spec(o).unwrap_err().to_string();
            assert!(e.contains(flag), "{e}");
        }
    }

    #[test]
    fn image_healthcheck_is_the_default() {
        let json = br#"{"config":{"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000,"Retries":1}}}"#;
        let img = image_healthcheck(json).unwrap();
        let c = merge(&HealthSpec::default(), Some(&img)).unwrap();
        assert_eq!((c.interval, c.retries), (2_000_000_000, 1));
        let user = HealthSpec {
            interval: Some(5_000_000_000),
            ..Default::default()
        };
        assert_eq!(merge(&user, Some(&img)).unwrap().interval, 5_000_000_000);
        let off = HealthSpec {
            disabled: true,
            ..Default::default()
        };
        assert_eq!(merge(&off, Some(&img)), None);
        let none = HealthSpec {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        };
        assert_eq!(merge(&none, Some(&img)), None);
        assert_eq!(image_healthcheck(br#"{"config":{}}"#), None);
    }
}
