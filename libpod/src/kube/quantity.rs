//! Kubernetes resource quantities (`128Mi`, `1G`, `500m`, `0.5`) as bytes and nano-CPUs.

use super::KubeError;

/// Memory in bytes: a number with an optional binary (`Ki`..`Ei`) or decimal (`k`..`E`) suffix.
pub fn bytes(what: &str, q: &str) -> Result<i64, KubeError> {
    let bad = || KubeError::Quantity {
        what: what.to_string(),
        value: q.to_string(),
    };
    let q = q.trim();
    let split = q.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match suffix {
        "" => 1.0,
        "m" => 0.001,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return Err(bad()),
    };
    let v = n * mult;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(v.ceil() as i64)
}

/// CPUs as nano-CPUs: `500m` or `0.5` or `2`.
pub fn nano_cpus(q: &str) -> Result<i64, KubeError> {
    let bad = || KubeError::Quantity {
        what: "cpu".to_string(),
        value: q.to_string(),
    };
    let q = q.trim();
    let cpus: f64 = match q.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().map_err(|_| bad())? / 1000.0,
        None => q.parse().map_err(|_| bad())?,
    };
    if !cpus.is_finite() || cpus < 0.0 {
        return Err(bad());
    }
    Ok((cpus * 1e9).round() as i64)
}

/// Bytes as Kubernetes writes them: the largest binary suffix that divides evenly.
pub fn format_bytes(b: i64) -> String {
    for (suffix, m) in [("Gi", 1i64 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
        if b >= m && b % m == 0 {
            return format!("{}{suffix}", b / m);
        }
    }
    b.to_string()
}

/// Nano-CPUs as millicores.
pub fn format_cpus(nano: i64) -> String {
    format!("{}m", nano / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(bytes("memory", "128Mi").unwrap(), 128 << 20);
        assert_eq!(bytes("memory", "1G").unwrap(), 1_000_000_000);
        assert_eq!(bytes("memory", "1000").unwrap(), 1000);
        assert!(bytes("memory", "12Xb").is_err());
        assert_eq!(nano_cpus("500m").unwrap(), 500_000_000);
        assert_eq!(nano_cpus("2").unwrap(), 2_000_000_000);
        assert!(nano_cpus("x").is_err());
        assert_eq!(format_bytes(128 << 20), "128Mi");
        assert_eq!(format_cpus(500_000_000), "500m");
    }
}
