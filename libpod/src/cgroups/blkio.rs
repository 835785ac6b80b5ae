//! Block I/O limits: `--blkio-weight` and the per-device throttles `--device-read-bps`,
//! `--device-write-bps`, `--device-read-iops`, `--device-write-iops`, parsed as podman reads
//! them (`PATH:RATE`, the device looked up to its major:minor) and written as cgroup v1's
//! `blkio.throttle.*` files or v2's `io.max`.

use serde::{Deserialize, Serialize};

use super::CgroupError;

/// Which limit a throttle sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThrottleKind {
    ReadBps,
    WriteBps,
    ReadIops,
    WriteIops,
}

impl ThrottleKind {
    pub fn flag(self) -> &'static str {
        match self {
            ThrottleKind::ReadBps => "device-read-bps",
            ThrottleKind::WriteBps => "device-write-bps",
            ThrottleKind::ReadIops => "device-read-iops",
            ThrottleKind::WriteIops => "device-write-iops",
        }
    }

    /// The cgroup v1 file.
    pub fn v1_file(self) -> &'static str {
        match self {
            ThrottleKind::ReadBps => "blkio.throttle.read_bps_device",
            ThrottleKind::WriteBps => "blkio.throttle.write_bps_device",
            ThrottleKind::ReadIops => "blkio.throttle.read_iops_device",
            ThrottleKind::WriteIops => "blkio.throttle.write_iops_device",
        }
    }

    /// The key in cgroup v2's `io.max`.
    pub fn v2_key(self) -> &'static str {
        match self {
            ThrottleKind::ReadBps => "rbps",
            ThrottleKind::WriteBps => "wbps",
            ThrottleKind::ReadIops => "riops",
            ThrottleKind::WriteIops => "wiops",
        }
    }

    /// inspect's HostConfig key.
    pub fn inspect_key(self) -> &'static str {
        match self {
            ThrottleKind::ReadBps => "BlkioDeviceReadBps",
            ThrottleKind::WriteBps => "BlkioDeviceWriteBps",
            ThrottleKind::ReadIops => "BlkioDeviceReadIOps",
            ThrottleKind::WriteIops => "BlkioDeviceWriteIOps",
        }
    }
}

/// One device throttle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    pub kind: ThrottleKind,
    pub path: String,
    pub major: u64,
    pub minor: u64,
    pub rate: u64,
}

/// `PATH:RATE`: a block device and a rate (bytes with an optional unit for the bps flags, a
/// plain number for the iops ones).
pub fn parse_throttle(kind: ThrottleKind, value: &str) -> Result<Throttle, CgroupError> {
    let flag = kind.flag();
    let bad = |m: String| CgroupError::Invalid {
        flag: flag.to_string(),
        message: m,
    };
    let (path, rate) = value.rsplit_once(':').ok_or_else(|| {
        bad(format!(
            "bad format for device path: {value}: use PATH:RATE"
        ))
    })?;
    let bps = matches!(kind, ThrottleKind::ReadBps | ThrottleKind::WriteBps);
    let rate: u64 = if bps {
        let n = super::limits::parse_size(flag, rate).map_err(|_| {
            bad(format!(
                "invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb"
            ))
        })?;
        u64::try_from(n).map_err(|_| bad(format!("invalid rate for device: {value}")))?
    } else {
        rate.parse().map_err(|_| {
            bad(format!(
                "invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must be a positive integer"
            ))
        })?
    };
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let md = std::fs::metadata(path).map_err(|e| bad(format!("{path}: {e}")))?;
    if !md.file_type().is_block_device() {
        return Err(bad(format!("{path} is not a block device")));
    }
    let rdev = md.rdev();
    Ok(Throttle {
        kind,
        path: path.to_string(),
        major: libc::major(rdev) as u64,
        minor: libc::minor(rdev) as u64,
        rate,
    })
}

/// `--blkio-weight`: 10 to 1000 (0: not set).
pub fn parse_weight(value: &str) -> Result<u16, CgroupError> {
    let bad = || CgroupError::Invalid {
        flag: "blkio-weight".into(),
        message: format!("\"{value}\": range of blkio weight is from 10 to 1000"),
    };
    let w: u16 = value.trim().parse().map_err(|_| bad())?;
    if w != 0 && !(10..=1000).contains(&w) {
        return Err(bad());
    }
    Ok(w)
}

/// One `--blkio-weight-device`: a block device and its weight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightDevice {
    pub path: String,
    pub major: u64,
    pub minor: u64,
    pub weight: u16,
}

/// `--blkio-weight-device DEVICE:WEIGHT`, checked in podman's order and words: the format,
/// a path under /dev, a weight of 10 to 1000 (0 allowed), then the device itself.
pub fn parse_weight_device(value: &str) -> Result<WeightDevice, CgroupError> {
    let bad = |m: String| CgroupError::BadValue(m);
    let (path, weight) = value
        .split_once(':')
        .ok_or_else(|| bad(format!("bad format: {value}")))?;
    if !path.starts_with("/dev/") {
        return Err(bad(format!("bad format for device path: {value}")));
    }
    let weight: u16 = weight
        .parse()
        .ok()
        .filter(|w| *w == 0 || (10..=1000).contains(w))
        .ok_or_else(|| bad(format!("invalid weight for device: {value}")))?;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let md = std::fs::metadata(path).map_err(|e| {
        bad(format!(
            "bad --blkio-weight-device: could not parse device {path}: {e}"
        ))
    })?;
    if !md.file_type().is_block_device() {
        return Err(bad(format!(
            "bad --blkio-weight-device: {path}: not a block device"
        )));
    }
    Ok(WeightDevice {
        path: path.to_string(),
        major: libc::major(md.rdev()) as u64,
        minor: libc::minor(md.rdev()) as u64,
        weight,
    })
}

/// Whether the kernel takes a block I/O weight: cgroup v1 needs CFQ's or BFQ's
/// `blkio.weight`; v2's io controller has `io.weight`.
pub fn weight_supported() -> bool {
    let v1 = std::path::Path::new("/sys/fs/cgroup/blkio");
    if v1.is_dir() {
        return v1.join("blkio.weight").exists() || v1.join("blkio.bfq.weight").exists();
    }
    true
}

/// Whether the kernel takes per-device weights: cgroup v1's `blkio.weight_device` comes with
/// CFQ or BFQ; v2's io controller has it in `io.weight`.
pub fn weight_device_supported() -> bool {
    let v1 = std::path::Path::new("/sys/fs/cgroup/blkio");
    if v1.is_dir() {
        return v1.join("blkio.weight_device").exists()
            || v1.join("blkio.bfq.weight_device").exists();
    }
    true
}

/// cgroup v2's `io.max` lines: one per device, all its limits on it.
pub fn io_max_lines(throttles: &[Throttle]) -> Vec<String> {
    let mut devices: Vec<(u64, u64)> = Vec::new();
    for t in throttles {
        if !devices.contains(&(t.major, t.minor)) {
            devices.push((t.major, t.minor));
        }
    }
    devices
        .into_iter()
        .map(|(ma, mi)| {
            let limits: Vec<String> = throttles
                .iter()
                .filter(|t| (t.major, t.minor) == (ma, mi))
                .map(|t| format!("{}={}", t.kind.v2_key(), t.rate))
                .collect();
            format!("{ma}:{mi} {}", limits.join(" "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_and_weights() {
        assert!(parse_throttle(ThrottleKind::ReadBps, "/dev/null").is_err());
        assert!(parse_throttle(ThrottleKind::ReadBps, "/dev/null:1mb").is_err());
        assert!(parse_throttle(ThrottleKind::ReadIops, "/no/such:10").is_err());
        assert_eq!(parse_weight("500").unwrap(), 500);
        assert!(parse_weight("5").is_err());
        assert!(parse_weight("x").is_err());
        let msg = |v: &str| parse_weight_device(v).unwrap_err().to_string();
        assert_eq!(msg("/dev/null"), "bad format: /dev/null");
        assert_eq!(msg("sda:10"), "bad format for device path: sda:10");
        assert_eq!(msg("/dev/null:5"), "invalid weight for device: /dev/null:5");
        assert_eq!(
            msg("/dev/null:100"),
            "bad --blkio-weight-device: /dev/null: not a block device"
        );
        let t = |kind, rate| Throttle {
            kind,
            path: "/dev/vda".into(),
            major: 254,
            minor: 0,
            rate,
        };
        assert_eq!(
            io_max_lines(&[
                t(ThrottleKind::ReadBps, 1048576),
                t(ThrottleKind::WriteIops, 10)
            ]),
            vec!["254:0 rbps=1048576 wiops=10"]
        );
    }
}
