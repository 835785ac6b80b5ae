//! Whether burrow runs rootless: the one answer that decides default paths, the user
//! namespace and the storage options. It reads only the process's own ids, so the modules
//! that pick paths and the one that joins the namespace can both ask it.

use nix::unistd::Uid;

/// True when burrow runs as a normal user and so needs the user namespace; stays true after
/// joining it, where the effective uid reads 0 (a regression: overlay xattrs were chosen as
/// if running as real root).
pub fn is_rootless() -> bool {
    !Uid::effective().is_root() || in_user_namespace()
}

/// Whether this process is in a user namespace other than the initial one, whose uid_map
/// is the identity over the whole range.
fn in_user_namespace() -> bool {
    match std::fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => {
            let fields: Vec<&str> = map.split_whitespace().collect();
            fields != ["0", "0", "4294967295"]
        }
        Err(_) => false,
    }
}
