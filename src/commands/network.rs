//! `network create/ls/inspect/rm/prune/exists/connect/disconnect`: thin adapters over libpod's
//! user-defined network calls, printing what podman prints.

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::filter::prune::PruneFilters;
use libpod::network_def::Network;
use libpod::runtime::NetworkCreateOptions;
use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::output::print_formatted;
use crate::output::{print_json, print_table};

#[derive(Args, Debug)]
pub struct NetworkCmd {
    #[command(subcommand)]
    sub: NetworkSub,
}

#[derive(Subcommand, Debug)]
enum NetworkSub {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Display the network configuration for one or more networks
    Inspect(InspectArgs),
    /// Remove one or more networks
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Remove all unused networks
    Prune(PruneArgs),
    /// Check if a network exists
    Exists(ExistsArgs),
    /// Add a container to a network
    Connect(ConnectArgs),
    /// Remove a container from a network
    Disconnect(DisconnectArgs),
    /// Reload network configuration for containers
    Reload(ReloadArgs),
    /// Update an existing network
    Update(UpdateArgs),
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    network: String,
    /// Add DNS servers to the network (comma-separated or repeated)
    #[arg(long = "dns-add", value_delimiter = ',', value_name = "IP")]
    dns_add: Vec<String>,
    /// Remove DNS servers from the network (comma-separated or repeated)
    #[arg(long = "dns-drop", value_delimiter = ',', value_name = "IP")]
    dns_drop: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ReloadArgs {
    /// Reload network configuration of all containers
    #[arg(short = 'a', long)]
    all: bool,
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    containers: Vec<String>,
}

/// podman prints the full ID of each container reloaded; with `--all`, those it cannot
/// reload (not running, not on a bridge) are skipped quietly.
fn reload(rt: &Runtime, a: ReloadArgs) -> Outcome {
    let names = if a.all {
        rt.list()?.into_iter().map(|c| c.id).collect()
    } else {
        a.containers
    };
    super::each(&names, |n| match rt.network_reload(n) {
        Ok(c) => {
            println!("{}", c.id);
            Ok(())
        }
        Err(libpod::LibpodError::InvalidState(_)) if a.all => Ok(()),
        Err(e) => Err(e.into()),
    })
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Network name (burrowN when not given)
    name: Option<String>,
    /// Driver to manage the network
    #[arg(short = 'd', long, default_value = "bridge")]
    driver: String,
    /// Subnet in CIDR format (default: the first free 10.89.N.0/24)
    #[arg(long)]
    subnet: Option<String>,
    /// IPv4 gateway for the subnet
    #[arg(long)]
    gateway: Option<String>,
    /// Restrict external access from this network
    #[arg(long)]
    internal: bool,
    /// Set metadata on a network
    #[arg(long)]
    label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// Don't fail if network already exists
    #[arg(long)]
    ignore: bool,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Provide filter values (name=, id=, driver=, label=)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Pretty-print networks to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Display the network ID only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate the network ID
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// Pretty-print network to JSON or using a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// Remove any containers using the network as well
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE])
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    name: String,
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    network: String,
    container: String,
    /// Network scoped alias for the container
    #[arg(long)]
    alias: Vec<String>,
    /// Set a static IPv4 address for the container on this network
    #[arg(long)]
    ip: Option<String>,
}

#[derive(Args, Debug)]
pub struct DisconnectArgs {
    network: String,
    container: String,
    /// Accepted for podman compatibility: a disconnect never needs forcing here
    #[arg(short = 'f', long)]
    force: bool,
}

pub fn group(rt: &Runtime, c: NetworkCmd) -> Outcome {
    match c.sub {
        NetworkSub::Create(a) => create(rt, a),
        NetworkSub::Ls(a) => ls(rt, a),
        NetworkSub::Inspect(a) => inspect(rt, a),
        NetworkSub::Rm(a) => rm(rt, a),
        NetworkSub::Prune(a) => prune(rt, a),
        NetworkSub::Exists(a) => Ok(if rt.network(&a.name).is_ok() { 0 } else { 1 }),
        NetworkSub::Connect(a) => {
            rt.network_connect(&a.network, &a.container, &a.alias, a.ip.as_deref())?;
            Ok(0)
        }
        NetworkSub::Reload(a) => reload(rt, a),
        NetworkSub::Update(a) => {
            rt.network_update(&a.network, &a.dns_add, &a.dns_drop)?;
            println!("{}", a.network);
            Ok(0)
        }
        NetworkSub::Disconnect(a) => {
            let _ = a.force;
            rt.network_disconnect(&a.network, &a.container)?;
            Ok(0)
        }
    }
}

fn create(rt: &Runtime, a: CreateArgs) -> Outcome {
    let n = rt.network_create(&NetworkCreateOptions {
        name: a.name,
        driver: Some(a.driver),
        subnet: a.subnet,
        gateway: a.gateway,
        internal: a.internal,
        labels: a.label,
        options: a.opt,
        ignore: a.ignore,
    })?;
    println!("{}", n.name);
    Ok(0)
}

/// `label=KEY` or `label=KEY=VALUE` against a network's labels.
fn ls_json(n: &Network, no_trunc: bool) -> Value {
    json!({
        "Name": n.name,
        "ID": if no_trunc { n.id.as_str() } else { n.short_id() },
        "Driver": n.config.driver,
        "NetworkInterface": n.config.interface,
        "Created": n.created,
        "Subnets": [{"Subnet": n.config.subnet, "Gateway": n.config.gateway}],
        "IPv6Enabled": false,
        "Internal": n.config.internal,
        "DNSEnabled": false,
        "Labels": n.config.labels,
        "Options": n.config.options,
    })
}

fn ls(rt: &Runtime, a: LsArgs) -> Outcome {
    let nets = rt.networks_filtered(&a.filter)?;
    if a.quiet {
        for n in &nets {
            println!("{}", if a.no_trunc { &n.id } else { n.short_id() });
        }
        return Ok(0);
    }
    if let Some(f) = &a.format {
        if f == "json" {
            let items = nets
                .iter()
                .map(|n| rt.network_json(n))
                .collect::<libpod::Result<Vec<Value>>>()?;
            print_json(&Value::Array(items));
            return Ok(0);
        }
        let items = nets.iter().map(|n| ls_json(n, a.no_trunc)).collect();
        return print_formatted(f, items, &|h| match h {
            "ID" => "NETWORK ID".into(),
            other => other.to_uppercase(),
        });
    }
    let mut rows = Vec::new();
    if !a.noheading {
        rows.push(vec![
            "NETWORK ID".to_string(),
            "NAME".to_string(),
            "DRIVER".to_string(),
        ]);
    }
    for n in &nets {
        let id = if a.no_trunc { &n.id } else { n.short_id() };
        rows.push(vec![
            id.to_string(),
            n.name.clone(),
            n.config.driver.clone(),
        ]);
    }
    print_table(&rows);
    Ok(0)
}

fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let mut items = Vec::new();
    for n in &a.names {
        items.push(rt.network_json(&rt.network(n)?)?);
    }
    match a.format.as_deref() {
        None | Some("json") => print_json(&Value::Array(items)),
        Some(f) => {
            let tmpl = crate::template::Template::parse(f).map_err(Failure::new)?;
            for i in &items {
                println!("{}", tmpl.execute(i).map_err(Failure::new)?);
            }
        }
    }
    Ok(0)
}

fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    super::each(&a.names, |n| {
        rt.network_remove(n, a.force).map_err(Failure::removal)?;
        println!("{n}");
        Ok(())
    })
}

fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    let filters = PruneFilters::parse(&a.filter)?;
    if !a.force
        && !super::confirm(
            "WARNING! This will remove all networks not used by at least one container.",
        )
    {
        return Ok(0);
    }
    let removed = rt.network_prune(|n| !filters.matches(&n.config.labels))?;
    for n in removed {
        println!("{n}");
    }
    Ok(0)
}
