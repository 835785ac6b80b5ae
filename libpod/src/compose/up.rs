//! `compose up`: the project's networks, volumes and secrets, its images (built or pulled),
//! then each service's containers in dependency order, waiting on `depends_on` conditions. A
//! container whose config hash (or image) changed is recreated, one that matches is started
//! or left running; replicas beyond the wanted count are removed. A failure leaves what was
//! made so far, as docker compose does.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::model::{Condition, Service};
use super::ops::{ProjectContainer, Report, containers, remove_all};
use super::plan::{self, Instance, config_hash, image_name, replicas};
use super::{ComposeError, Project, labels};
use crate::builder::BuildOptions;
use crate::health::HealthStatus;
use crate::runtime::NetworkCreateOptions;
use crate::runtime::VolumeCreateOptions;
use crate::secrets::SecretCreateOptions;
use crate::{Result, Runtime, Status};

/// `up`'s flags.
#[derive(Clone, Debug, Default)]
pub struct UpOptions {
    /// Only these services (and what they depend on).
    pub services: Vec<String>,
    /// `--build`: build images before starting.
    pub build: bool,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub remove_orphans: bool,
    /// `--scale SERVICE=N`.
    pub scale: BTreeMap<String, u32>,
    /// `--no-start`: create only.
    pub no_start: bool,
    /// `--wait`: return once every container runs (healthy, if it has a healthcheck).
    pub wait: bool,
    pub wait_timeout: Option<u64>,
    /// Where build step output goes (stderr for `up`).
    pub quiet_build: bool,
}

/// How long a `depends_on` condition is waited for.
const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(300);

/// The networks the project's services use, as keys of the file (`default` included).
pub fn used_networks(p: &Project) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for s in p.model.services.values() {
        if s.network_mode.is_some() {
            continue;
        }
        if s.networks.is_empty() {
            keys.push("default".into());
        }
        keys.extend(s.networks.keys().cloned());
    }
    keys.sort();
    keys.dedup();
    keys
}

fn ensure_networks(rt: &Runtime, p: &Project, report: Report) -> Result<()> {
    for key in used_networks(p) {
        let def = p
            .model
            .networks
            .get(&key)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let name = p.network_name(&key);
        if def.external == Some(true) {
            rt.network(&name)?;
            continue;
        }
        if rt.network(&name).is_ok() {
            continue;
        }
        let ipam = def.ipam.as_ref().and_then(|i| i.config.first());
        let mut labels: Vec<String> = def.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.push(format!("{}={}", labels::PROJECT, p.name));
        labels.push(format!("{}={key}", labels::NETWORK));
        rt.network_create(&NetworkCreateOptions {
            name: Some(name.clone()),
            driver: def.driver.clone().filter(|d| d != "bridge"),
            subnet: ipam.and_then(|c| c.subnet.clone()),
            gateway: ipam.and_then(|c| c.gateway.clone()),
            internal: def.internal.unwrap_or(false),
            labels,
            options: Vec::new(),
            ignore: true,
        })?;
        report("Network", &name, "Created");
    }
    Ok(())
}

fn ensure_volumes(rt: &Runtime, p: &Project, report: Report) -> Result<()> {
    for (key, def) in &p.model.volumes {
        let def = def.clone().unwrap_or_default();
        let name = p.volume_name(key);
        if def.external == Some(true) {
            rt.volume(&name)?;
            continue;
        }
        if rt.volume(&name).is_ok() {
            continue;
        }
        let mut labels: Vec<String> = def.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.push(format!("{}={}", labels::PROJECT, p.name));
        labels.push(format!("{}={key}", labels::VOLUME));
        rt.volume_create(&VolumeCreateOptions {
            name: Some(name.clone()),
            driver: def.driver.clone(),
            opts: def
                .driver_opts
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            labels,
            ignore: true,
        })?;
        report("Volume", &format!("\"{name}\""), "Created");
    }
    Ok(())
}

/// Each secret a service uses becomes a burrow secret `<project>_<name>` (replaced at each
/// `up`, so an edited file is seen), mounted by the ordinary `--secret` path.
fn ensure_secrets(rt: &Runtime, p: &Project) -> Result<()> {
    let used: std::collections::BTreeSet<String> = p
        .model
        .services
        .values()
        .flat_map(|s| s.secrets.iter().map(|u| u.long().source))
        .collect();
    for name in used {
        let Some(def) = p.model.secrets.get(&name) else {
            continue;
        };
        let bad = |message: String| ComposeError::Other(format!("secret {name}: {message}"));
        let data = if let Some(f) = &def.file {
            let path = p.path(f);
            std::fs::read(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?
        } else if let Some(var) = &def.environment {
            p.vars
                .get(var)
                .ok_or_else(|| bad(format!("environment variable {var} is not set")))?
                .clone()
                .into_bytes()
        } else if let Some(c) = &def.content {
            c.clone().into_bytes()
        } else {
            return Err(
                bad("only file, environment and content secrets are supported".into()).into(),
            );
        };
        rt.secret_create(
            &SecretCreateOptions {
                name: p.scoped(&name),
                driver: String::new(),
                labels: vec![format!("{}={}", labels::PROJECT, p.name)],
                replace: true,
            },
            &data,
        )?;
    }
    Ok(())
}

/// Builds the service's image from its `build:` section.
pub fn build_service(
    rt: &Runtime,
    p: &Project,
    service: &str,
    s: &Service,
    no_cache: bool,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let Some(b) = &s.build else { return Ok(()) };
    let b = b.long();
    let context = p.path(b.context.as_deref().unwrap_or("."));
    let file = b.dockerfile.as_ref().map(|f| context.join(f));
    let opts = BuildOptions {
        context,
        file,
        tags: vec![image_name(p, service, s)],
        build_args: b
            .args
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    Some(v) => v.to_string(),
                    None => p.vars.get(k)?.clone(),
                };
                Some((k.clone(), v))
            })
            .collect(),
        target: b.target.clone(),
        labels: b.labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        network: b.network.clone(),
        no_cache: no_cache || b.no_cache == Some(true),
        ..BuildOptions::default()
    };
    rt.build(&opts, out).map_err(|e| ComposeError::Service {
        service: service.to_string(),
        message: format!("build: {}", e.message),
    })?;
    Ok(())
}

/// The image of each service is there: built when it has `build:` and (`--build` or no image
/// yet), else pulled when missing.
fn ensure_images(
    rt: &Runtime,
    p: &Project,
    order: &[String],
    o: &UpOptions,
    report: Report,
) -> Result<()> {
    for name in order {
        let s = &p.model.services[name];
        let image = image_name(p, name, s);
        let present = rt.image(&image).is_ok();
        let policy = s.pull_policy.as_deref().unwrap_or("missing");
        let always_build = policy == "build";
        if s.build.is_some() && (o.build || !present || always_build) {
            let mut sink = std::io::sink();
            let mut err = std::io::stderr();
            let out: &mut dyn std::io::Write = if o.quiet_build { &mut sink } else { &mut err };
            build_service(rt, p, name, s, false, out)?;
            report("Service", name, "Built");
        } else if !present || policy == "always" {
            if policy == "never" {
                return Err(ComposeError::Service {
                    service: name.clone(),
                    message: format!("image {image} is not here and pull_policy is never"),
                }
                .into());
            }
            rt.image_for_run(
                &image,
                crate::runtime::PullPolicy::Always,
                &crate::registry::RegistryFlags::default(),
                None,
                &storage::registry::Quiet,
            )?;
            report("Image", &image, "Pulled");
        }
    }
    Ok(())
}

/// Waits until `dep`'s containers meet `cond`.
fn wait_condition(
    rt: &Runtime,
    p: &Project,
    dep: &str,
    cond: Condition,
    report: Report,
) -> Result<()> {
    if cond == Condition::ServiceStarted {
        return Ok(());
    }
    let list: Vec<ProjectContainer> = containers(rt, &p.name)?
        .into_iter()
        .filter(|c| c.service == dep && !c.oneoff)
        .collect();
    for c in &list {
        report("Container", c.name(), "Waiting");
        let deadline = Instant::now() + DEPENDENCY_TIMEOUT;
        loop {
            let full = rt.lookup(&c.summary.id)?;
            match cond {
                Condition::ServiceHealthy => {
                    if full.config.health.is_none() {
                        return Err(ComposeError::Other(format!(
                            "dependency failed to start: container {} has no healthcheck configured",
                            c.name()
                        ))
                        .into());
                    }
                    match rt.health_status(&full.id).map(|h| h.status) {
                        Some(HealthStatus::Healthy) => {
                            report("Container", c.name(), "Healthy");
                            break;
                        }
                        Some(HealthStatus::Unhealthy) => {
                            return Err(ComposeError::Other(format!(
                                "dependency failed to start: container {} is unhealthy",
                                c.name()
                            ))
                            .into());
                        }
                        _ if full.status() == Status::Exited => {
                            return Err(ComposeError::Other(format!(
                                "dependency failed to start: container {} exited ({})",
                                c.name(),
                                full.state.exit_code
                            ))
                            .into());
                        }
                        _ => {}
                    }
                }
                Condition::ServiceCompletedSuccessfully => {
                    if full.status() == Status::Exited {
                        if full.state.exit_code != 0 {
                            return Err(ComposeError::Other(format!(
                                "service {dep:?} didn't complete successfully: exit {}",
                                full.state.exit_code
                            ))
                            .into());
                        }
                        report("Container", c.name(), "Exited");
                        break;
                    }
                }
                Condition::ServiceStarted => break,
            }
            if Instant::now() > deadline {
                return Err(ComposeError::Other(format!(
                    "timed out waiting for {} to be {}",
                    c.name(),
                    if cond == Condition::ServiceHealthy {
                        "healthy"
                    } else {
                        "completed"
                    }
                ))
                .into());
            }
            if super::logs::interrupted() {
                return Err(ComposeError::Other("interrupted while waiting".into()).into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

/// Containers created or found stopped, to be started together (see [`Starts::flush`]).
#[derive(Default)]
struct Starts(Vec<crate::Container>);

impl Starts {
    /// Starts every container collected so far side by side; the first failure is returned
    /// after all have been tried (each success is reported).
    fn flush(&mut self, rt: &Runtime, report: Report) -> Result<()> {
        let cs = std::mem::take(&mut self.0);
        let mut first = None;
        for (c, r) in cs.iter().zip(rt.start_detached_together(&cs)) {
            match r {
                Ok(()) => report("Container", &c.name, "Started"),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// Creates replica `number` of a service; given `starts`, it is started with the others.
fn create_one(
    rt: &Runtime,
    p: &Project,
    service: &str,
    number: u32,
    created: &str,
    report: Report,
    starts: Option<&mut Starts>,
) -> Result<()> {
    let mut spec = plan::spec(
        p,
        service,
        &Instance {
            number,
            ..Instance::default()
        },
    )?;
    spec.lifecycle.start_next = starts.is_some();
    let name = spec.name.clone().unwrap_or_default();
    for dir in plan::missing_bind_sources(p, &p.model.services[service]) {
        std::fs::create_dir_all(&dir)
            .map_err(|e| crate::LibpodError::io(format!("create {}", dir.display()), e))?;
    }
    let c = rt.create(&spec)?;
    report("Container", &name, created);
    if let Some(starts) = starts {
        starts.0.push(c);
    }
    Ok(())
}

/// Brings one service to its wanted state.
fn converge(
    rt: &Runtime,
    p: &Project,
    service: &str,
    o: &UpOptions,
    report: Report,
    starts: &mut Starts,
) -> Result<()> {
    let s = &p.model.services[service];
    let want = replicas(s, &o.scale, service);
    let hash = config_hash(s);
    let image_id = rt
        .image(&image_name(p, service, s))
        .map(|i| i.id)
        .unwrap_or_default();
    let existing: Vec<ProjectContainer> = containers(rt, &p.name)?
        .into_iter()
        .filter(|c| c.service == service && !c.oneoff)
        .collect();
    let extra: Vec<&ProjectContainer> = existing
        .iter()
        .filter(|c| c.number > want || c.number == 0)
        .collect();
    if let Some(e) = remove_all(rt, &extra, None, false, report)
        .into_iter()
        .next()
    {
        return Err(e);
    }
    for n in 1..=want {
        match existing.iter().find(|c| c.number == n) {
            Some(c) => {
                let stale = c.label(labels::CONFIG_HASH) != hash
                    || (!image_id.is_empty() && c.summary.image_id != image_id);
                if (stale || o.force_recreate) && !o.no_recreate {
                    report("Container", c.name(), "Recreate");
                    if let Some(e) = remove_all(rt, &[c], None, false, &mut |_, _, _| {})
                        .into_iter()
                        .next()
                    {
                        return Err(e);
                    }
                    let starts = (!o.no_start).then_some(&mut *starts);
                    create_one(rt, p, service, n, "Recreated", report, starts)?;
                } else if o.no_start || c.running() {
                    report("Container", c.name(), "Running");
                } else {
                    starts.0.push(rt.lookup(&c.summary.id)?);
                }
            }
            None => {
                let starts = (!o.no_start).then_some(&mut *starts);
                create_one(rt, p, service, n, "Created", report, starts)?
            }
        }
    }
    Ok(())
}

/// What containers of `services` need before they are created: their images, and the
/// project's networks, volumes and secrets.
pub fn prepare(
    rt: &Runtime,
    p: &Project,
    services: &[String],
    o: &UpOptions,
    report: Report,
) -> Result<()> {
    ensure_images(rt, p, services, o, report)?;
    ensure_networks(rt, p, report)?;
    ensure_volumes(rt, p, report)?;
    ensure_secrets(rt, p)
}

/// `compose run`: the service's dependencies brought up (unless `no_deps`), then a one-off
/// container `<project>-<service>-run-<id>` created from `inst` (not started).
pub fn oneoff(
    rt: &Runtime,
    p: &Project,
    service: &str,
    mut inst: Instance,
    no_deps: bool,
    report: Report,
) -> Result<crate::Container> {
    let s = p
        .model
        .services
        .get(service)
        .ok_or_else(|| ComposeError::NoSuchService(service.to_string()))?;
    let deps: Vec<String> = s.depends_on.keys().cloned().collect();
    if !no_deps && !deps.is_empty() {
        up(
            rt,
            p,
            &UpOptions {
                services: deps,
                ..UpOptions::default()
            },
            report,
        )?;
    }
    prepare(rt, p, &[service.to_string()], &UpOptions::default(), report)?;
    let id = crate::runtime::names::new_id()?;
    inst.oneoff_name = Some(format!("{}-{service}-run-{}", p.name, &id[..12]));
    inst.number = 1;
    let spec = plan::spec(p, service, &inst)?;
    rt.create(&spec)
}

/// `up`.
pub fn up(rt: &Runtime, p: &Project, o: &UpOptions, report: Report) -> Result<()> {
    for s in o.scale.keys() {
        if !p.model.services.contains_key(s) {
            return Err(ComposeError::NoSuchService(s.clone()).into());
        }
    }
    let order = p.ordered(&o.services)?;
    let orphans: Vec<ProjectContainer> = containers(rt, &p.name)?
        .into_iter()
        .filter(|c| !c.oneoff && !p.model.services.contains_key(&c.service))
        .collect();
    if o.remove_orphans {
        let list: Vec<&ProjectContainer> = orphans.iter().collect();
        if let Some(e) = remove_all(rt, &list, None, false, report)
            .into_iter()
            .next()
        {
            return Err(e);
        }
    } else if !orphans.is_empty() {
        let names: Vec<&str> = orphans.iter().map(|c| c.name()).collect();
        report(
            "Warning",
            &format!(
                "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(" ")
            ),
            "",
        );
    }
    prepare(rt, p, &order, o, report)?;
    // Services start together until one depends on others: those are started (and their
    // conditions met) first.
    let mut starts = Starts::default();
    for name in &order {
        let deps = plan::dependencies(&p.model.services[name]);
        if !o.no_start && !deps.is_empty() {
            starts.flush(rt, report)?;
            for (dep, cond) in deps {
                wait_condition(rt, p, &dep, cond, report)?;
            }
        }
        converge(rt, p, name, o, report, &mut starts)?;
    }
    starts.flush(rt, report)?;
    if o.wait {
        wait_all(rt, p, &order, o.wait_timeout, report)?;
    }
    Ok(())
}

/// `--wait`: every container of `services` running, and healthy where it has a check.
fn wait_all(
    rt: &Runtime,
    p: &Project,
    services: &[String],
    timeout: Option<u64>,
    report: Report,
) -> Result<()> {
    let deadline = Instant::now() + timeout.map_or(DEPENDENCY_TIMEOUT, Duration::from_secs);
    for c in containers(rt, &p.name)?
        .iter()
        .filter(|c| !c.oneoff && services.contains(&c.service))
    {
        loop {
            let full = rt.lookup(&c.summary.id)?;
            if full.status() != Status::Running {
                return Err(ComposeError::Other(format!(
                    "container {} exited ({})",
                    c.name(),
                    full.state.exit_code
                ))
                .into());
            }
            let health = full
                .config
                .health
                .as_ref()
                .map(|_| rt.health_status(&full.id).map(|h| h.status));
            match health {
                None => {
                    report("Container", c.name(), "Healthy");
                    break;
                }
                Some(Some(HealthStatus::Healthy)) => {
                    report("Container", c.name(), "Healthy");
                    break;
                }
                Some(Some(HealthStatus::Unhealthy)) => {
                    return Err(ComposeError::Other(format!(
                        "container {} is unhealthy",
                        c.name()
                    ))
                    .into());
                }
                _ => {}
            }
            if Instant::now() > deadline {
                return Err(
                    ComposeError::Other(format!("timed out waiting for {}", c.name())).into(),
                );
            }
            if super::logs::interrupted() {
                return Err(ComposeError::Other("interrupted while waiting".into()).into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}
