//! `container checkpoint` / `container restore`: refused. Both need CRIU, which needs
//! privileges a rootless user does not have (podman refuses them rootless with these
//! messages); burrow does not drive CRIU as root either. The options are podman's, so scripts
//! get this error rather than an unknown-flag one.

use std::path::PathBuf;

use clap::Args;

use crate::commands::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// Checkpoint all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Export the checkpoint image to a tar.gz
    #[arg(short = 'e', long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Keep all temporary checkpoint files
    #[arg(short = 'k', long)]
    keep: bool,
    /// Leave the container running after writing checkpoint to disk
    #[arg(short = 'R', long = "leave-running")]
    leave_running: bool,
    /// Checkpoint a container with established TCP connections
    #[arg(long = "tcp-established")]
    tcp_established: bool,
    /// Do not include root file-system changes when exporting
    #[arg(long = "ignore-rootfs")]
    ignore_rootfs: bool,
    /// Do not export volumes associated with container
    #[arg(long = "ignore-volumes")]
    ignore_volumes: bool,
    /// Dump container's memory information only, leaving the container running
    #[arg(short = 'P', long = "pre-checkpoint")]
    pre_checkpoint: bool,
    /// Checkpoint container with pre-checkpoint images
    #[arg(long = "with-previous")]
    with_previous: bool,
    /// Select compression algorithm (gzip, none, zstd) for checkpoint archive
    #[arg(short = 'c', long, value_name = "ALGORITHM")]
    compress: Option<String>,
    /// Display checkpoint statistics
    #[arg(long = "print-stats")]
    print_stats: bool,
    /// Checkpoint a container with file locks
    #[arg(long = "file-locks")]
    file_locks: bool,
    /// Create a checkpoint image with the specified name
    #[arg(long = "create-image", value_name = "IMAGE")]
    create_image: Option<String>,
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Restore all checkpointed containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Restore from exported checkpoint archive (tar.gz)
    #[arg(short = 'i', long = "import", value_name = "FILE")]
    import: Option<PathBuf>,
    /// Specify new name for container restored from exported checkpoint (only works with image or --import)
    #[arg(short = 'n', long, value_name = "NAME")]
    name: Option<String>,
    /// Keep all temporary checkpoint files
    #[arg(short = 'k', long)]
    keep: bool,
    /// Restore a container with established TCP connections
    #[arg(long = "tcp-established")]
    tcp_established: bool,
    /// Do not apply root file-system changes when importing from exported checkpoint
    #[arg(long = "ignore-rootfs")]
    ignore_rootfs: bool,
    /// Do not restore volumes associated with restored container
    #[arg(long = "ignore-volumes")]
    ignore_volumes: bool,
    /// Ignore IP address set via --static-ip
    #[arg(long = "ignore-static-ip")]
    ignore_static_ip: bool,
    /// Ignore MAC address set via --static-mac
    #[arg(long = "ignore-static-mac")]
    ignore_static_mac: bool,
    /// Restore from exported pre-checkpoint archive (tar.gz)
    #[arg(long = "import-previous", value_name = "FILE")]
    import_previous: Option<PathBuf>,
    /// Publish a container's port, or a range of ports, to the host
    #[arg(short = 'p', long, value_name = "PORT")]
    publish: Vec<String>,
    /// Restore container into existing pod (only works with image or --import)
    #[arg(long, value_name = "POD")]
    pod: Option<String>,
    /// Display restore statistics
    #[arg(long = "print-stats")]
    print_stats: bool,
    /// Restore a container with file locks
    #[arg(long = "file-locks")]
    file_locks: bool,
    names: Vec<String>,
}

pub fn checkpoint(_a: CheckpointArgs) -> Outcome {
    Err(refusal("checkpointing"))
}

pub fn restore(_a: RestoreArgs) -> Outcome {
    Err(refusal("restoring"))
}

fn refusal(what: &str) -> Failure {
    if libpod::rootless::is_rootless() {
        Failure::new(format!("{what} a container requires root"))
    } else {
        Failure::new(format!(
            "{what} a container needs CRIU, which burrow does not support: stop and start the container instead, or use podman for checkpoints"
        ))
    }
}
