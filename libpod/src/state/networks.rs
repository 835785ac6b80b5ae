//! The networks table (one row per user-defined network, its options as JSON) and
//! container_networks (a container's address, MAC, aliases and interface on each network).
//! IPAM happens here, inside the transaction that writes the rows: the UNIQUE (network, ip)
//! constraint and an IMMEDIATE transaction keep two burrows from handing out one address.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use rusqlite::{Transaction, TransactionBehavior, params};

use super::lookup::Named;
use super::{State, StateError, json_column};
use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::network_def::{
    AttachRequest, Attachment, BRIDGE_PREFIX, DEFAULT_SUBNET_BASE, Network, NetworkConfig,
    contains, next_free_ip, nth, overlaps, parse_cidr, random_mac,
};

const NET_COLUMNS: &str = "id, name, created, config";

/// What `network create` asks for; subnet and bridge are chosen in the transaction.
pub struct NewNetwork {
    pub id: String,
    pub name: String,
    pub created: i64,
    /// Unset: the first free 10.89.N.0/24.
    pub subnet: Option<(Ipv4Addr, u8)>,
    pub gateway: Option<Ipv4Addr>,
    pub internal: bool,
    pub labels: std::collections::BTreeMap<String, String>,
    pub options: std::collections::BTreeMap<String, String>,
}

impl State {
    fn immediate(&self) -> Result<Transaction<'_>> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))
    }

    /// Records a network, choosing its bridge name and (unless given) its subnet under one
    /// write lock, so two concurrent creates never get the same ones.
    pub fn insert_network(&self, n: NewNetwork) -> Result<Network> {
        let tx = self.immediate()?;
        let existing = self.networks()?;
        if existing.iter().any(|e| e.name == n.name) {
            return Err(StateError::NetworkExists(n.name).into());
        }
        let taken: Vec<(Ipv4Addr, u8)> = existing.iter().map(|e| e.subnet()).collect();
        let subnet = match n.subnet {
            Some(s) => {
                if let Some(o) = existing.iter().find(|e| overlaps(e.subnet(), s)) {
                    return Err(StateError::SubnetInUse {
                        subnet: s.0,
                        prefix: s.1,
                        network: o.name.clone(),
                        network_subnet: o.config.subnet.clone(),
                    }
                    .into());
                }
                s
            }
            None => (0..=255u32)
                .map(|i| (nth(DEFAULT_SUBNET_BASE, i << 8), 24))
                .find(|s| !taken.iter().any(|t| overlaps(*t, *s)))
                .ok_or(StateError::NoFreeSubnet)?,
        };
        let gateway = n.gateway.unwrap_or_else(|| nth(subnet.0, 1));
        if !contains(subnet, gateway) || gateway == subnet.0 {
            return Err(StateError::GatewayOutsideSubnet {
                gateway,
                subnet: subnet.0,
                prefix: subnet.1,
            }
            .into());
        }
        let used: Vec<&str> = existing
            .iter()
            .map(|e| e.config.interface.as_str())
            .collect();
        let interface = (1..)
            .map(|i| format!("{BRIDGE_PREFIX}{i}"))
            .find(|b| !used.contains(&b.as_str()))
            .unwrap_or_default();
        let net = Network {
            id: n.id,
            name: n.name,
            created: n.created,
            config: NetworkConfig {
                driver: "bridge".into(),
                interface,
                subnet: format!("{}/{}", subnet.0, subnet.1),
                gateway: gateway.to_string(),
                internal: n.internal,
                labels: n.labels,
                options: n.options,
                dns_servers: Vec::new(),
            },
        };
        let config =
            serde_json::to_string(&net.config).map_err(StateError::encode("network config"))?;
        tx.execute(
            "INSERT INTO networks (id, name, created, config) VALUES (?1, ?2, ?3, ?4)",
            params![net.id, net.name, net.created, config],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(net)
    }

    /// By exact name, full id or unique id prefix.
    pub fn lookup_network(&self, name_or_id: &str) -> Result<Network> {
        let networks = Named {
            table: "networks",
            columns: NET_COLUMNS,
            kind: "network",
            row: row_to_network,
            not_found: LibpodError::NoSuchNetwork,
        };
        self.lookup_named(&networks, name_or_id)
    }

    /// Every network, by name (`network ls` order, as podman sorts it).
    pub fn networks(&self) -> Result<Vec<Network>> {
        let sql = format!("SELECT {NET_COLUMNS} FROM networks ORDER BY name");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([], row_to_network)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Stores a changed config of an existing network (`network update`).
    pub fn update_network_config(&self, id: &str, config: &NetworkConfig) -> Result<()> {
        let config = serde_json::to_string(config).map_err(StateError::encode("network config"))?;
        self.conn
            .execute(
                "UPDATE networks SET config=?2 WHERE id=?1",
                params![id, config],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn remove_network(&self, id: &str) -> Result<()> {
        let tx = self.immediate()?;
        tx.execute(
            "DELETE FROM container_networks WHERE network_id=?1",
            params![id],
        )
        .map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM networks WHERE id=?1", params![id])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Records a container and its places on `nets` in one transaction: the addresses are
    /// handed out (IPAM) under the same write lock as the container row.
    pub fn insert_container_on_networks(
        &self,
        c: &Container,
        nets: &[AttachRequest],
        owner: super::Owner,
    ) -> Result<Vec<Attachment>> {
        let tx = self.immediate()?;
        self.insert_container(c, owner)?;
        let mut out = Vec::new();
        for r in nets {
            out.push(self.allocate(&c.id, r)?);
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// `network connect`: one more network for an existing container.
    pub fn connect_network(&self, container_id: &str, r: &AttachRequest) -> Result<Attachment> {
        let tx = self.immediate()?;
        let a = self.allocate(container_id, r)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(a)
    }

    pub fn disconnect_network(&self, container_id: &str, network_id: &str) -> Result<()> {
        self.exec(
            "DELETE FROM container_networks WHERE container_id=?1 AND network_id=?2",
            params![container_id, network_id],
        )
    }

    /// Picks the container's address and interface name on one network and records them; the
    /// caller holds the transaction.
    fn allocate(&self, container_id: &str, r: &AttachRequest) -> Result<Attachment> {
        let net = self.lookup_network(&r.network_id)?;
        let mine = self.container_attachments(container_id)?;
        if mine.iter().any(|a| a.network_id == net.id) {
            return Err(StateError::AlreadyConnected {
                container: container_id.to_string(),
                network: net.name,
            }
            .into());
        }
        let subnet = net.subnet();
        let gateway = net.gateway();
        let used: Vec<Ipv4Addr> = self
            .network_attachments(&net.id)?
            .into_iter()
            .map(|a| a.ip)
            .collect();
        let ip = match r.ip {
            Some(ip) => {
                if !contains(subnet, ip) || ip == gateway || ip == subnet.0 {
                    return Err(StateError::IpOutsideNetwork {
                        ip,
                        network: net.name,
                        subnet: net.config.subnet,
                    }
                    .into());
                }
                if used.contains(&ip) {
                    return Err(StateError::IpTaken {
                        ip,
                        network: net.name,
                    }
                    .into());
                }
                ip
            }
            None => {
                next_free_ip(subnet, gateway, &used).ok_or_else(|| StateError::NetworkFull {
                    network: net.name.clone(),
                    subnet: net.config.subnet.clone(),
                })?
            }
        };
        let ifname = (0..)
            .map(|i| format!("eth{i}"))
            .find(|n| !mine.iter().any(|a| &a.ifname == n))
            .unwrap_or_default();
        let a = Attachment {
            container_id: container_id.to_string(),
            network_id: net.id.clone(),
            network_name: net.name.clone(),
            ip,
            prefix: subnet.1,
            gateway,
            mac: r.mac.clone().map_or_else(random_mac, Ok)?,
            aliases: r.aliases.clone(),
            ifname,
            bridge: net.config.interface.clone(),
        };
        let aliases =
            serde_json::to_string(&a.aliases).map_err(StateError::encode("network aliases"))?;
        self.exec(
            "INSERT INTO container_networks (container_id, network_id, ip, mac, aliases, ifname) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![a.container_id, a.network_id, a.ip.to_string(), a.mac, aliases, a.ifname],
        )?;
        Ok(a)
    }

    /// A container's networks, in interface order (eth0 first).
    pub fn container_attachments(&self, container_id: &str) -> Result<Vec<Attachment>> {
        self.attachments("cn.container_id = ?1", container_id)
    }

    /// Every container on a network.
    pub fn network_attachments(&self, network_id: &str) -> Result<Vec<Attachment>> {
        self.attachments("cn.network_id = ?1", network_id)
    }

    fn attachments(&self, cond: &str, key: &str) -> Result<Vec<Attachment>> {
        let sql = format!(
            "SELECT cn.container_id, cn.network_id, n.name, n.config, cn.ip, cn.mac, cn.aliases, cn.ifname FROM container_networks cn JOIN networks n ON n.id = cn.network_id WHERE {cond} ORDER BY length(cn.ifname), cn.ifname, cn.container_id"
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([key], row_to_attachment)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Each container's network names (`ps`'s NETWORKS), in one query.
    pub fn network_names_by_container(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let rows: Vec<(String, String)> = self
            .conn
            .prepare_cached(
                "SELECT cn.container_id, n.name FROM container_networks cn JOIN networks n ON n.id = cn.network_id ORDER BY length(cn.ifname), cn.ifname",
            )
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(|e| self.err(e))?;
        for (c, n) in rows {
            out.entry(c).or_default().push(n);
        }
        Ok(out)
    }
}

fn row_to_network(r: &rusqlite::Row<'_>) -> rusqlite::Result<Network> {
    Ok(Network {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
        config: json_column(r, 3)?,
    })
}

fn row_to_attachment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attachment> {
    let bad = |i: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    let config: NetworkConfig = json_column(r, 3)?;
    let ip: String = r.get(4)?;
    let ip: Ipv4Addr = ip.parse().map_err(|e| bad(4, Box::new(e)))?;
    let aliases: String = r.get(6)?;
    let (subnet, prefix) = parse_cidr(&config.subnet).unwrap_or((DEFAULT_SUBNET_BASE, 24));
    Ok(Attachment {
        container_id: r.get(0)?,
        network_id: r.get(1)?,
        network_name: r.get(2)?,
        ip,
        prefix,
        gateway: config.gateway.parse().unwrap_or_else(|_| nth(subnet, 1)),
        mac: r.get(5)?,
        aliases: serde_json::from_str(&aliases).unwrap_or_default(),
        ifname: r.get(7)?,
        bridge: config.interface,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerConfig, ContainerState};

    fn net(st: &State, id: &str, name: &str, subnet: Option<(Ipv4Addr, u8)>) -> Result<Network> {
        st.insert_network(NewNetwork {
            id: id.into(),
            name: name.into(),
            created: 1,
            subnet,
            gateway: None,
            internal: false,
            labels: Default::default(),
            options: Default::default(),
        })
    }

    fn ctr(id: &str) -> Container {
        Container {
            id: id.into(),
            name: format!("n{id}"),
            created: 1,
            config: ContainerConfig::default(),
            state: ContainerState::default(),
        }
    }

    #[test]
    fn ipam_hands_out_each_address_once() {
        let dir = tempfile::tempdir().unwrap();
        let st = State::open(&dir.path().join("db")).unwrap();
        let a = net(&st, "aa", "a", None).unwrap();
        let b = net(&st, "bb", "b", None).unwrap();
        assert_eq!(a.config.subnet, "10.89.0.0/24");
        assert_eq!(b.config.subnet, "10.89.1.0/24");
        assert_ne!(a.config.interface, b.config.interface);
        assert!(
            matches!(
                net(&st, "cc", "a", None),
                Err(LibpodError::StateRecord(StateError::NetworkExists(_)))
            ),
            "duplicate name"
        );
        let clash = net(&st, "dd", "d", parse_cidr("10.89.0.0/16"));
        assert!(
            matches!(
                clash,
                Err(LibpodError::StateRecord(StateError::SubnetInUse { .. }))
            ),
            "overlapping subnet"
        );
        let req = |id: &str| AttachRequest {
            network_id: id.into(),
            ..Default::default()
        };
        let one = st
            .insert_container_on_networks(
                &ctr("c1"),
                &[req("aa"), req("bb")],
                crate::state::Owner::NONE,
            )
            .unwrap();
        assert_eq!(one[0].ip, Ipv4Addr::new(10, 89, 0, 2));
        assert_eq!(
            (one[0].ifname.as_str(), one[1].ifname.as_str()),
            ("eth0", "eth1")
        );
        let two = st
            .insert_container_on_networks(&ctr("c2"), &[req("aa")], crate::state::Owner::NONE)
            .unwrap();
        assert_eq!(two[0].ip, Ipv4Addr::new(10, 89, 0, 3));
        // A fixed address already taken fails, and the container row goes with it.
        let taken = AttachRequest {
            ip: Some(Ipv4Addr::new(10, 89, 0, 3)),
            ..req("aa")
        };
        assert!(
            st.insert_container_on_networks(&ctr("c3"), &[taken], crate::state::Owner::NONE)
                .is_err()
        );
        assert!(st.lookup("c3").is_err(), "rolled back");
        // Removing a container frees its address for the next one.
        st.remove("c1").unwrap();
        let three = st
            .insert_container_on_networks(&ctr("c4"), &[req("aa")], crate::state::Owner::NONE)
            .unwrap();
        assert_eq!(three[0].ip, Ipv4Addr::new(10, 89, 0, 2));
        let names = st.network_names_by_container().unwrap();
        assert_eq!(names.get("c2"), Some(&vec!["a".to_string()]));
        st.remove_network("bb").unwrap();
        assert!(st.lookup_network("b").is_err());
    }
}
