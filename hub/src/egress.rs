//! Where the hub may send requests of its own: push endpoints devices register and the push
//! gateways the operator configures. Without `[egress] allow_private_endpoints`, a host that is
//! or resolves to a loopback, private, shared (CGNAT), link-local, multicast, unspecified or
//! reserved address (`silbato_proto::protocol::is_public_ip`, IPv4-mapped IPv6 included) is
//! refused, so a subscription cannot turn the hub into a client of the operator's own network.
//!
//! The check runs when a device subscribes ([`check_endpoint`]), and again whenever the hub
//! connects: [`PublicOnly`] is a resolver for the gateways' HTTP client that drops every
//! non-public address a name resolves to (DNS rebinding), and [`check_url`] refuses a URL whose
//! host is a non-public address literal (literals bypass resolvers). Nothing here logs or returns
//! a host, an address or a URL.

use std::net::{IpAddr, SocketAddr};

use silbato_proto::protocol::is_public_ip;
use url::{Host, Url};

/// Why an endpoint is refused. Carries no host or address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The host is, or resolves to, an address that is not public.
    #[error("a push endpoint must resolve to a public internet address")]
    NotPublic,
    /// The host does not resolve (or the URL has none).
    #[error("a push endpoint's host does not resolve")]
    Unresolved,
}

/// Whether the hub may connect to `ip` under this policy.
pub fn ip_allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public_ip(ip)
}

/// Checks a parsed URL's host without resolving it: an address literal must be public; a name
/// passes here (its addresses are checked when it is resolved).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), EgressError> {
    if allow_private {
        return Ok(());
    }
    match url.host() {
        Some(Host::Ipv4(ip)) if !is_public_ip(IpAddr::V4(ip)) => Err(EgressError::NotPublic),
        Some(Host::Ipv6(ip)) if !is_public_ip(IpAddr::V6(ip)) => Err(EgressError::NotPublic),
        Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            Err(EgressError::NotPublic)
        }
        Some(_) => Ok(()),
        None => Err(EgressError::Unresolved),
    }
}

/// The literal checks of [`check_url`], then the host name and port still to resolve: `None`
/// when nothing is (private addresses allowed, or the host is an address literal).
fn name_to_resolve(url: &Url, allow_private: bool) -> Result<Option<(&str, u16)>, EgressError> {
    check_url(url, allow_private)?;
    if allow_private {
        return Ok(None);
    }
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(None);
    };
    Ok(Some((name, url.port_or_known_default().unwrap_or(443))))
}

/// Resolves `url`'s host and refuses it unless every address is allowed: what a subscription
/// must pass. With `allow_private`, nothing is resolved.
pub async fn check_endpoint(url: &Url, allow_private: bool) -> Result<(), EgressError> {
    let Some((name, port)) = name_to_resolve(url, allow_private)? else {
        return Ok(());
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| EgressError::Unresolved)?
        .collect();
    if addrs.is_empty() {
        return Err(EgressError::Unresolved);
    }
    if addrs.iter().all(|a| is_public_ip(a.ip())) {
        Ok(())
    } else {
        Err(EgressError::NotPublic)
    }
}

/// The same check for a configured gateway at start-up (blocking resolution). A name that does
/// not resolve now passes: the resolver checks it again on every connection.
pub fn check_gateway(url: &Url, allow_private: bool) -> Result<(), EgressError> {
    use std::net::ToSocketAddrs;
    let Some((name, port)) = name_to_resolve(url, allow_private)? else {
        return Ok(());
    };
    match (name, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.iter().any(|a| !is_public_ip(a.ip())) {
                Err(EgressError::NotPublic)
            } else {
                Ok(())
            }
        }
        Err(_) => Ok(()),
    }
}

/// A DNS resolver for the hub's outgoing HTTP clients (`reqwest::ClientBuilder::dns_resolver`)
/// that keeps only allowed addresses, so a name that resolved to a public address when a device
/// subscribed cannot later point the hub at its own network.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| ip_allowed(a.ip(), allow_private))
                .collect();
            if addrs.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> = Box::new(EgressError::NotPublic);
                return Err(e);
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_judged_parsed() {
        let check = |u: &str| check_url(&Url::parse(u).unwrap(), false);
        assert_eq!(check("https://10.0.0.1/p"), Err(EgressError::NotPublic));
        assert_eq!(
            check("https://[::ffff:127.0.0.1]/p"),
            Err(EgressError::NotPublic)
        );
        assert_eq!(check("https://[fe80::1]/p"), Err(EgressError::NotPublic));
        assert_eq!(check("https://0.0.0.0/p"), Err(EgressError::NotPublic));
        assert_eq!(check("https://LOCALHOST/p"), Err(EgressError::NotPublic));
        assert_eq!(check("https://93.184.216.34/p"), Ok(()));
        assert_eq!(check("https://push.example.org/p"), Ok(()));
        assert!(check_url(&Url::parse("http://127.0.0.1:9/").unwrap(), true).is_ok());
    }
}
