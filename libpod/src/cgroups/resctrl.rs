//! `--rdt-class COS`: puts the container into an Intel RDT class of service by writing its
//! pid to `/sys/fs/resctrl/COS/tasks`, as runc does. The class must exist already (made by
//! root through the resctrl filesystem); this module never creates or changes one.

use std::path::Path;

use super::CgroupError;

const RESCTRL: &str = "/sys/fs/resctrl";

/// Moves `pid` into class of service `closid`; an error that says what is missing when the
/// host has no resctrl, the class does not exist, or this user may not write it.
pub fn assign(closid: &str, pid: i32) -> Result<(), CgroupError> {
    if closid.is_empty() || closid.contains('/') || closid == "." || closid == ".." {
        return Err(CgroupError::BadValue(format!(
            "invalid --rdt-class {closid:?}: a class of service is a directory name under {RESCTRL}"
        )));
    }
    let root = Path::new(RESCTRL);
    if !root.join("info").is_dir() {
        return Err(CgroupError::Unavailable(format!(
            "--rdt-class {closid}: Intel RDT is not supported or enabled: {RESCTRL} is not mounted"
        )));
    }
    let dir = root.join(closid);
    if !dir.is_dir() {
        return Err(CgroupError::Unavailable(format!(
            "--rdt-class {closid}: no such class of service: create {} first (as root)",
            dir.display()
        )));
    }
    let tasks = dir.join("tasks");
    std::fs::write(&tasks, pid.to_string()).map_err(|e| super::io(&tasks, e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn class_names_stay_under_resctrl() {
        for bad in ["", "..", "a/b"] {
            let e = super::assign(bad, 1).unwrap_err().to_string();
            assert!(e.starts_with("invalid --rdt-class"), "{e}");
        }
    }
}
