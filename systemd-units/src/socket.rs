//! [`Socket`]: a `.socket` unit (systemd.socket(5)) whose listening sockets systemd opens and
//! hands to a service on the first connection (socket activation, e.g. for an API service).

use crate::UnitFile;
use crate::unit::{InstallInfo, UnitInfo};

/// A socket unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Socket {
    pub header: Vec<String>,
    pub unit: UnitInfo,
    /// `ListenStream=`: a path, `@abstract` name, port or `address:port`.
    pub listen_stream: Vec<String>,
    pub listen_datagram: Vec<String>,
    /// `SocketMode=` of a unix socket (octal when rendered).
    pub socket_mode: Option<u32>,
    /// `Accept=yes`: one service instance per connection.
    pub accept: bool,
    /// `Service=`: the service activated (default: the socket's own name with `.service`).
    pub service: Option<String>,
    pub file_descriptor_name: Option<String>,
    pub extra: Vec<(String, String)>,
    pub install: InstallInfo,
}

impl Socket {
    pub fn to_unit_file(&self) -> UnitFile {
        let mut u = UnitFile::new();
        u.header = self.header.clone();
        self.unit.render_into(&mut u);
        let s = "Socket";
        u.section_mut(s);
        for l in &self.listen_stream {
            u.add(s, "ListenStream", l.as_str());
        }
        for l in &self.listen_datagram {
            u.add(s, "ListenDatagram", l.as_str());
        }
        if let Some(m) = self.socket_mode {
            u.add(s, "SocketMode", format!("{m:04o}"));
        }
        if self.accept {
            u.add(s, "Accept", "yes");
        }
        if let Some(svc) = &self.service {
            u.add(s, "Service", svc.as_str());
        }
        if let Some(n) = &self.file_descriptor_name {
            u.add(s, "FileDescriptorName", n.as_str());
        }
        for (k, v) in &self.extra {
            u.add(s, k, v.as_str());
        }
        self.install.render_into(&mut u);
        u
    }

    pub fn render(&self) -> String {
        self.to_unit_file().render()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Socket {
        Socket {
            unit: UnitInfo::new("burrow API socket"),
            listen_stream: vec!["%t/burrow/burrow.sock".into()],
            socket_mode: Some(0o660),
            service: Some("burrow-api.service".into()),
            install: InstallInfo::wanted_by("sockets.target"),
            ..Socket::default()
        }
    }

    #[test]
    fn renders() {
        assert_eq!(
            sample().render(),
            "[Unit]\nDescription=burrow API socket\n\n[Socket]\nListenStream=%t/burrow/burrow.sock\nSocketMode=0660\nService=burrow-api.service\n\n[Install]\nWantedBy=sockets.target\n"
        );
    }
}
