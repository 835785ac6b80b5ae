//! The `com.docker.compose.*` labels docker compose puts on what it creates; tools that read
//! them (and burrow's own `compose ps/down`) find a project's containers by them.

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const VERSION: &str = "com.docker.compose.version";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";
pub const IMAGE: &str = "com.docker.compose.image";

/// The compose version burrow's labels claim (docker compose v2's format).
pub const COMPOSE_VERSION: &str = "2.24.0";
