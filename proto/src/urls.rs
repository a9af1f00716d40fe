//! The URLs Silbato connects to: the one check every hub URL, Web Push endpoint and push gateway
//! passes, and comparing two hub URLs.
//!
//! This module owns the rule, on `url::Url` rather than on text: https with a host, or plain http
//! only to this machine; never a user name or password. It must never put a URL in an error or a
//! log: the error is [`ProtocolError::Url`], whatever was wrong.

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
