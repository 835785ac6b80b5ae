//! A CDI spec for the NVIDIA GPUs this host has, for users without nvidia-container-toolkit:
//! the /dev/nvidia* nodes (one device per GPU, plus `all`), the driver's user-space libraries
//! as `ldconfig -p` lists them, and its tools (nvidia-smi, nvidia-persistenced, ...), all
//! bound read-only at the paths they have on the host. What nvidia-ctk's hooks do (an
//! ld.so.cache update, extra symlinks) is covered by binding every library name ldconfig
//! knows, soname links included.

use std::path::{Path, PathBuf};

use super::CdiError;
use super::spec::{CdiMount, ContainerEdits, DeviceNode, DeviceSpec, Spec};

/// What was found on the host.
#[derive(Debug, Default)]
pub struct NvidiaHost {
    /// (index, node path in the container, node path on the host), by index.
    pub gpus: Vec<(u32, String, PathBuf)>,
    /// nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset, nvidia-caps/*.
    pub control_nodes: Vec<(String, PathBuf)>,
    pub libraries: Vec<PathBuf>,
    pub binaries: Vec<PathBuf>,
}

/// Library name prefixes of the NVIDIA driver's user space.
const LIB_PREFIXES: &[&str] = &[
    "libnvidia-",
    "libcuda.so",
    "libcudadebugger.so",
    "libnvcuvid.so",
    "libnvoptix.so",
    "libGLX_nvidia.so",
    "libEGL_nvidia.so",
    "libGLESv1_CM_nvidia.so",
    "libGLESv2_nvidia.so",
];

const BINARIES: &[&str] = &[
    "nvidia-smi",
    "nvidia-debugdump",
    "nvidia-persistenced",
    "nvidia-cuda-mps-control",
    "nvidia-cuda-mps-server",
];

const CONTROL_NODES: &[&str] = &[
    "nvidiactl",
    "nvidia-uvm",
    "nvidia-uvm-tools",
    "nvidia-modeset",
];

/// Looks at `dev_root`/dev for the nodes and asks ldconfig for the libraries.
pub fn discover(dev_root: &Path) -> NvidiaHost {
    let dev = dev_root.join("dev");
    let mut host = NvidiaHost::default();
    if let Ok(rd) = std::fs::read_dir(&dev) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix("nvidia")
                .and_then(|n| n.parse::<u32>().ok())
            {
                host.gpus.push((n, format!("/dev/{name}"), e.path()));
            }
        }
    }
    host.gpus.sort();
    for n in CONTROL_NODES {
        let p = dev.join(n);
        if p.exists() {
            host.control_nodes.push((format!("/dev/{n}"), p));
        }
    }
    if let Ok(rd) = std::fs::read_dir(dev.join("nvidia-caps")) {
        let mut caps: Vec<_> = rd.flatten().map(|e| e.file_name()).collect();
        caps.sort();
        for c in caps {
            let c = c.to_string_lossy();
            host.control_nodes.push((
                format!("/dev/nvidia-caps/{c}"),
                dev.join("nvidia-caps").join(&*c),
            ));
        }
    }
    host.libraries = ldconfig_libraries();
    if host.libraries.is_empty() {
        // A driver outside the loader's cache (e.g. a read-only /usr/local/nvidia).
        host.libraries = DRIVER_LIB_DIRS
            .iter()
            .flat_map(|d| driver_libraries_in(Path::new(d)))
            .collect();
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for b in BINARIES {
        let found = path
            .split(':')
            .chain([
                "/usr/bin",
                "/usr/sbin",
                "/bin",
                "/sbin",
                "/usr/local/nvidia/bin",
            ])
            .map(|d| Path::new(d).join(b))
            .find(|p| p.is_file());
        if let Some(p) = found
            && !host.binaries.contains(&p)
        {
            host.binaries.push(p);
        }
    }
    host
}

/// Where a driver's libraries are looked for when ldconfig knows none.
const DRIVER_LIB_DIRS: &[&str] = &[
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
];

/// Directories the dynamic loader searches without a cache on common distributions: libraries
/// elsewhere need LD_LIBRARY_PATH in the container.
const LOADER_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

fn driver_libraries_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            LIB_PREFIXES.iter().any(|p| n.starts_with(p)) && n.contains(".so")
        })
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// The driver's libraries from `ldconfig -p` (64-bit ones), every name it lists.
fn ldconfig_libraries() -> Vec<PathBuf> {
    // An absolute path: a user's PATH may lack /sbin.
    let out = ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]
        .iter()
        .find_map(|l| std::process::Command::new(l).arg("-p").output().ok());
    let Some(out) = out else {
        return Vec::new();
    };
    parse_ldconfig(&String::from_utf8_lossy(&out.stdout))
}

/// `\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1` lines.
pub fn parse_ldconfig(text: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| {
            let (lhs, path) = l.trim().split_once(" => ")?;
            let name = lhs.split_whitespace().next()?;
            // 64-bit entries only: `(libc6,x86-64)`; `(libc6)` is i386 on x86-64.
            let wanted = LIB_PREFIXES.iter().any(|p| name.starts_with(p))
                && (lhs.contains("x86-64") || lhs.contains("AArch64"));
            wanted.then(|| PathBuf::from(path.trim()))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The spec for what was found; an error when there is no GPU.
pub fn nvidia_spec(host: &NvidiaHost) -> Result<Spec, CdiError> {
    if host.gpus.is_empty() {
        return Err(CdiError::Generate(
            "no NVIDIA GPU device nodes (/dev/nvidia0, ...) found: is the NVIDIA driver loaded?"
                .into(),
        ));
    }
    let node = |path: &str, host_path: &Path| DeviceNode {
        path: path.to_string(),
        host_path: (host_path != Path::new(path)).then(|| host_path.display().to_string()),
        ..DeviceNode::default()
    };
    let mut devices: Vec<DeviceSpec> = host
        .gpus
        .iter()
        .map(|(n, path, hp)| DeviceSpec {
            name: n.to_string(),
            container_edits: ContainerEdits {
                device_nodes: vec![node(path, hp)],
                ..ContainerEdits::default()
            },
        })
        .collect();
    devices.push(DeviceSpec {
        name: "all".into(),
        container_edits: ContainerEdits {
            device_nodes: host.gpus.iter().map(|(_, p, hp)| node(p, hp)).collect(),
            ..ContainerEdits::default()
        },
    });
    let mut mounts = Vec::new();
    for p in host.libraries.iter().chain(&host.binaries) {
        // The soname link and the file it names both get a mount: the bind follows the
        // link, so each name holds the library in the container.
        let mut paths = vec![p.clone()];
        if let Ok(real) = std::fs::canonicalize(p)
            && real != *p
        {
            paths.push(real);
        }
        for path in paths {
            let s = path.display().to_string();
            if !mounts.iter().any(|m: &CdiMount| m.container_path == s) {
                mounts.push(CdiMount {
                    host_path: s.clone(),
                    container_path: s,
                    kind: None,
                    options: vec!["ro".into(), "nosuid".into(), "nodev".into(), "bind".into()],
                });
            }
        }
    }
    let mut env = vec!["NVIDIA_VISIBLE_DEVICES=void".into()];
    let mut extra_dirs: Vec<String> = Vec::new();
    for l in &host.libraries {
        if let Some(d) = l.parent().map(|d| d.display().to_string())
            && !LOADER_DIRS.contains(&d.as_str())
            && !extra_dirs.contains(&d)
        {
            extra_dirs.push(d);
        }
    }
    if !extra_dirs.is_empty() {
        // nvidia-ctk updates the container's loader cache with a hook; burrow points the
        // loader at the mounted directories instead.
        env.push(format!("LD_LIBRARY_PATH={}", extra_dirs.join(":")));
    }
    Ok(Spec {
        cdi_version: "0.5.0".into(),
        kind: "nvidia.com/gpu".into(),
        devices,
        container_edits: ContainerEdits {
            env,
            device_nodes: host
                .control_nodes
                .iter()
                .map(|(p, hp)| node(p, hp))
                .collect(),
            mounts,
            ..ContainerEdits::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldconfig_output_gives_the_driver_libraries() {
        let text = "1234 libs found in cache `/etc/ld.so.cache'\n\
            \tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n\
            \tlibnvidia-ml.so.1 (libc6) => /usr/lib/i386-linux-gnu/libnvidia-ml.so.1\n\
            \tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n\
            \tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6\n";
        assert_eq!(
            parse_ldconfig(text),
            vec![
                PathBuf::from("/usr/lib/x86_64-linux-gnu/libcuda.so.1"),
                PathBuf::from("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"),
            ]
        );
    }

    #[test]
    fn a_fake_dev_tree_gives_one_device_per_gpu_and_all() {
        let t = tempfile::tempdir().unwrap();
        let dev = t.path().join("dev");
        std::fs::create_dir_all(&dev).unwrap();
        for n in ["nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"] {
            std::fs::write(dev.join(n), "").unwrap();
        }
        let mut host = discover(t.path());
        host.libraries.clear();
        host.binaries.clear();
        let spec = nvidia_spec(&host).unwrap();
        let names: Vec<&str> = spec.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["0", "1", "all"]);
        assert_eq!(spec.devices[2].container_edits.device_nodes.len(), 2);
        let common: Vec<&str> = spec
            .container_edits
            .device_nodes
            .iter()
            .map(|n| n.path.as_str())
            .collect();
        assert_eq!(common, vec!["/dev/nvidiactl", "/dev/nvidia-uvm"]);
        assert_eq!(
            spec.devices[0].container_edits.device_nodes[0].host_path(),
            dev.join("nvidia0").display().to_string()
        );
        assert!(nvidia_spec(&NvidiaHost::default()).is_err());
    }
}
