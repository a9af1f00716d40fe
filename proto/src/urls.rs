//! The URLs Silbato connects to: the one check every hub URL, Web Push endpoint and push gateway
//! passes, and comparing two hub URLs.
//!
//! This module owns the rule, on `url::Url` rather than on text: https with a host, or plain http
//! only to this machine; never a user name or password. It must never put a URL in an error or a
//! log: the error is [`ProtocolError::Url`], whatever was wrong.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{Error, ProtocolError, Result};

/// The one check for every URL Silbato connects to (a network's hub, Web Push endpoints, a hub's
/// push gateways), on the parsed URL rather than its text: https with a host, or plain http only
/// to this machine (tests, the demo; see [`is_loopback_http`]); never a user name or password
/// (`http://localhost:1@evil.example/` is a request to evil.example), never whitespace or control
/// characters (the parser would silently drop some). The error never quotes the URL.
pub fn checked_url(raw: &str) -> Result<Url> {
    let refused = || Error::from(ProtocolError::Url);
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refused());
    }
    let url = Url::parse(raw).map_err(|_| refused())?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => is_loopback_host(url.host()),
        _ => false,
    };
    if !scheme_ok || url.host().is_none() || !url.username().is_empty() || url.password().is_some()
    {
        return Err(refused());
    }
    Ok(url)
}

/// Exactly this machine: 127.0.0.1, ::1 or `localhost`, compared as a parsed host, so neither
/// `localhost.example.org` nor `127.0.0.1.nip.io` is mistaken for it.
fn is_loopback_host(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A plain-http URL to this machine (tests, the demo) that [`checked_url`] accepts: matched on
/// the parsed host, with no user name or password.
pub fn is_loopback_http(url: &str) -> bool {
    checked_url(url).is_ok_and(|u| u.scheme() == "http")
}

/// Whether two hub URLs name the same hub: compared parsed (so scheme and host case, a default
/// port and a trailing `/` make no difference), as a client will use them. Devices use it to sync
/// a hub shared by several networks once, and to send each network's reports only to its hub.
pub fn same_hub(a: &str, b: &str) -> bool {
    fn key(url: &str) -> String {
        Url::parse(url)
            .map_or_else(|_| url.to_owned(), |u| u.to_string())
            .trim_end_matches('/')
            .to_owned()
    }
    key(a) == key(b)
}

/// The host a signed dispatcher request names (`protocol::request_message`): the URL's host in
/// lowercase, with `:port` when the URL gives one other than the scheme's default — what an HTTP
/// client sends in the `Host` header.
pub fn request_host(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// Whether `ip` is an ordinary public internet address a hub may send pushes to: not loopback,
/// private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16,
/// fe80::/10), multicast, broadcast, unspecified (0.0.0.0, ::), "this network" (0/8), reserved
/// (240/4), documentation or benchmarking ranges; IPv4-mapped, -compatible and NAT64 IPv6
/// addresses are judged by the IPv4 address inside.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::a.b.c.d (NAT64) reach an IPv4 host.
    if (seg[..6] == [0; 6] || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) && !ip.is_unspecified() {
        let o = ip.octets();
        return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00
        || (seg[0] & 0xffc0) == 0xfe80
        || (seg[0] & 0xffc0) == 0xfec0
        || (seg[0] == 0x2001 && seg[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h12_17_private_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(!is_public_ip(ip), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = good.parse().unwrap();
            assert!(is_public_ip(ip), "{good}");
        }
    }

    #[test]
    fn h12_21_request_host_is_the_host_header() {
        let host = |u: &str| request_host(&Url::parse(u).unwrap());
        assert_eq!(host("http://127.0.0.1:41234/v1"), "127.0.0.1:41234");
        assert_eq!(host("https://Hub.Example.org/"), "hub.example.org");
        assert_eq!(host("https://hub.example.org:443/"), "hub.example.org");
        assert_eq!(
            host("https://hub.example.org:8443/"),
            "hub.example.org:8443"
        );
        assert_eq!(host("http://[::1]:9/"), "[::1]:9");
    }
}
