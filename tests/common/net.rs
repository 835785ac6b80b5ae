//! Host-side helpers for the networking tests: a free port, and a plain HTTP/1.0 GET.

#![allow(dead_code)] // each test crate uses a different part

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// A host port free right now: bind port 0, read the port, close it.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// One HTTP/1.0 GET to 127.0.0.1:port; the whole response, or None if nothing answered.
pub fn http_get(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Polls `http_get(port)` until the answer contains `want` (a detached server needs a moment).
pub fn wait_http(port: u16, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = None;
    while Instant::now() < deadline {
        last = http_get(port);
        if last.as_deref().is_some_and(|r| r.contains(want)) {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    last.unwrap_or_default()
}

/// A TCP server on the host answering every connection with `msg`; returns its port.
pub fn host_server(bind: &str, msg: &'static str) -> u16 {
    let l = TcpListener::bind((bind, 0)).expect("bind host server");
    let port = l.local_addr().expect("addr").port();
    thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let _ = c.write_all(msg.as_bytes());
        }
    });
    port
}
