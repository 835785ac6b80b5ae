//! The healthcheck flags of `create`/`run`, and `healthcheck run`.

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::health::HealthStatus;
use libpod::spec::HealthOptions;

use crate::commands::Outcome;

/// `--health-*` and `--no-healthcheck`, with podman's help lines.
#[derive(Args, Clone, Debug, Default)]
pub struct HealthArgs {
    /// set a healthcheck command for the container ('none' disables the existing healthcheck)
    #[arg(long = "health-cmd", value_name = "STRING")]
    cmd: Option<String>,
    /// set an interval for the healthcheck (a value of disable results in no automatic timer setup) (default "30s")
    #[arg(long = "health-interval", value_name = "STRING")]
    interval: Option<String>,
    /// set the destination of the HealthCheck log. Directory path, local or events_logger (local use container state file) (default "local")
    #[arg(long = "health-log-destination", value_name = "STRING")]
    log_destination: Option<String>,
    /// set maximum number of attempts in the HealthCheck log file. ('0' value means an infinite number of attempts in the log file) (default 5)
    #[arg(long = "health-max-log-count", value_name = "UINT")]
    max_log_count: Option<String>,
    /// set maximum length in characters of stored HealthCheck log. ('0' value means an infinite log length) (default 500)
    #[arg(long = "health-max-log-size", value_name = "UINT")]
    max_log_size: Option<String>,
    /// action to take once the container turns unhealthy (default "none")
    #[arg(long = "health-on-failure", value_name = "STRING")]
    on_failure: Option<String>,
    /// the number of retries allowed before a healthcheck is considered to be unhealthy (default 3)
    #[arg(long = "health-retries", value_name = "UINT")]
    retries: Option<String>,
    /// the initialization time needed for a container to bootstrap (default "0s")
    #[arg(long = "health-start-period", value_name = "STRING")]
    start_period: Option<String>,
    /// Set a startup healthcheck command for the container
    #[arg(long = "health-startup-cmd", value_name = "STRING")]
    startup_cmd: Option<String>,
    /// Set an interval for the startup healthcheck (default "30s")
    #[arg(long = "health-startup-interval", value_name = "STRING")]
    startup_interval: Option<String>,
    /// Set the maximum number of retries before the startup healthcheck will restart the container
    #[arg(long = "health-startup-retries", value_name = "UINT")]
    startup_retries: Option<String>,
    /// Set the number of consecutive successes before the startup healthcheck is marked as successful and the normal healthcheck begins (0 indicates any success will start the regular healthcheck)
    #[arg(long = "health-startup-success", value_name = "UINT")]
    startup_success: Option<String>,
    /// Set the maximum amount of time that the startup healthcheck may take before it is considered failed (default "30s")
    #[arg(long = "health-startup-timeout", value_name = "STRING")]
    startup_timeout: Option<String>,
    /// the maximum time allowed to complete the healthcheck before an interval is considered failed (default "30s")
    #[arg(long = "health-timeout", value_name = "STRING")]
    timeout: Option<String>,
    /// Disable healthchecks on container
    #[arg(long = "no-healthcheck")]
    no_healthcheck: bool,
}

impl From<HealthArgs> for HealthOptions {
    fn from(a: HealthArgs) -> HealthOptions {
        HealthOptions {
            cmd: a.cmd,
            interval: a.interval,
            timeout: a.timeout,
            start_period: a.start_period,
            retries: a.retries,
            on_failure: a.on_failure,
            startup_cmd: a.startup_cmd,
            startup_interval: a.startup_interval,
            startup_timeout: a.startup_timeout,
            startup_retries: a.startup_retries,
            startup_success: a.startup_success,
            log_destination: a.log_destination,
            max_log_count: a.max_log_count,
            max_log_size: a.max_log_size,
            disable: a.no_healthcheck,
        }
    }
}

#[derive(Args, Debug)]
pub struct HealthcheckCmd {
    #[command(subcommand)]
    cmd: HealthcheckSub,
}

#[derive(Subcommand, Debug)]
enum HealthcheckSub {
    /// Run the health check of a container
    Run(HealthcheckRunArgs),
}

#[derive(Args, Debug)]
pub struct HealthcheckRunArgs {
    /// The container to check
    container: String,
}

/// `healthcheck run`: exit 0 when healthy; the status and exit 1 otherwise (as podman).
pub fn healthcheck(rt: &Runtime, c: HealthcheckCmd) -> Outcome {
    match c.cmd {
        HealthcheckSub::Run(a) => match rt.healthcheck_run(&a.container)? {
            HealthStatus::Healthy => Ok(0),
            other => {
                println!("{}", other.as_str());
                Ok(1)
            }
        },
    }
}
