//! `compose build/pull/push`: the services' images through libpod's builder and registry
//! client.

use clap::Args;
use libpod::Runtime;
use libpod::compose::plan::image_name;
use libpod::storage_registry::LayerCompression;

use super::{Ctx, errors, report};
use crate::commands::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Do not use cache when building the image
    #[arg(long = "no-cache")]
    no_cache: bool,
    /// Don't print anything to standard output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Services (default: all with a build section)
    pub services: Vec<String>,
}

fn wanted<'a>(ctx: &'a Ctx, services: &'a [String]) -> Result<Vec<&'a String>, Failure> {
    for s in services {
        if !ctx.project.model.services.contains_key(s) {
            return Err(Failure::new(format!("no such service: {s}")));
        }
    }
    Ok(ctx
        .project
        .model
        .services
        .keys()
        .filter(|s| services.is_empty() || services.contains(s))
        .collect())
}

pub fn build(rt: &Runtime, ctx: &Ctx, a: &BuildArgs) -> Outcome {
    let p = &ctx.project;
    for name in wanted(ctx, &a.services)? {
        let s = &p.model.services[name];
        if s.build.is_none() {
            continue;
        }
        let mut sink = std::io::sink();
        let mut out = std::io::stdout();
        let w: &mut dyn std::io::Write = if a.quiet { &mut sink } else { &mut out };
        libpod::compose::up::build_service(rt, p, name, s, a.no_cache, w)?;
        report("Service", name, "Built");
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Pull without printing progress information
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Ignore images that can be built
    #[arg(long = "ignore-buildable")]
    ignore_buildable: bool,
    /// Pull what it can and ignores images with pull failures
    #[arg(long = "ignore-pull-failures")]
    ignore_pull_failures: bool,
    /// Services (default: all)
    pub services: Vec<String>,
}

pub fn pull(rt: &Runtime, ctx: &Ctx, a: &PullArgs) -> Outcome {
    let p = &ctx.project;
    let mut errs = Vec::new();
    for name in wanted(ctx, &a.services)? {
        let s = &p.model.services[name];
        if s.image.is_none() || (a.ignore_buildable && s.build.is_some()) {
            continue;
        }
        let image = image_name(p, name, s);
        let progress = crate::commands::registry::Progress::new(true);
        match rt.pull(
            &image,
            &libpod::registry::RegistryFlags::default(),
            None,
            false,
            &progress,
        ) {
            Ok(_) if !a.quiet => report("Image", &image, "Pulled"),
            Ok(_) => {}
            Err(e) if a.ignore_pull_failures || s.build.is_some() => {
                libpod::warn!("{name}: {e}");
            }
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// Push what it can and ignores images with push failures
    #[arg(long = "ignore-push-failures")]
    ignore_push_failures: bool,
    /// Push without printing progress information
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Services (default: all with a build section and an image name)
    pub services: Vec<String>,
}

pub fn push(rt: &Runtime, ctx: &Ctx, a: &PushArgs) -> Outcome {
    let p = &ctx.project;
    let mut errs = Vec::new();
    for name in wanted(ctx, &a.services)? {
        let s = &p.model.services[name];
        let (Some(image), Some(_)) = (&s.image, &s.build) else {
            continue;
        };
        let progress = crate::commands::registry::Progress::new(true);
        match rt.push(
            image,
            None,
            &libpod::registry::RegistryFlags::default(),
            LayerCompression::default(),
            &progress,
        ) {
            Ok(_) if !a.quiet => report("Image", image, "Pushed"),
            Ok(_) => {}
            Err(e) if a.ignore_push_failures => libpod::warn!("{name}: {e}"),
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}
