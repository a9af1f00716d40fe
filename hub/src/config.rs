//! The hub's configuration: one TOML file (see `docs/hub.md`).
//!
//! Relative paths resolve against the directory of the configuration file, so a deployment is a
//! directory an operator can move as a whole. This module only reads and checks the file; the
//! documents it names are verified when the hub opens.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::HubError;
use crate::push::PushConfig;

/// Default allowance per client address (tokens per minute; a client may burst up to it).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 600;
/// Default largest request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 512 * 1024;
/// Default days a report stays after a dispatcher first fetched it.
pub const DEFAULT_DELIVERED_REPORTS_DAYS: u32 = 30;
/// Default days an alert stays after it expired (it is no longer served once expired).
pub const DEFAULT_EXPIRED_ALERTS_DAYS: u32 = 7;
/// Default days a report no dispatcher fetched is kept.
pub const DEFAULT_UNDELIVERED_REPORTS_DAYS: u32 = 30;
/// Default seconds a client has to send a request's headers.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default seconds a whole request (body, handling) may take.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default open connections per client address (IPv6: per /64).
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: u32 = 32;
/// Default open connections in all.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4096;
/// Default bytes of sealed reports one client address may leave per day (in memory only).
pub const DEFAULT_REPORT_BYTES_PER_CLIENT_PER_DAY: u64 = 16 * 1024 * 1024;
/// Default bytes of sealed reports the hub holds in all.
pub const DEFAULT_MAX_STORED_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// Address to listen on, `host:port` (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Where `hub.db` lives; created if missing.
    pub data_dir: PathBuf,
    /// The network's signed profile file, served at `GET /v1/network`.
    pub network_profile: PathBuf,
    /// Signed content packs, one `<pack_id>.json` each, served at `GET /v1/packs/{id}`.
    #[serde(default)]
    pub packs_dir: Option<PathBuf>,
    /// The signed plate watch-list, served at `GET /v1/watchlist`.
    #[serde(default)]
    pub watchlist: Option<PathBuf>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub push: PushConfig,
    #[serde(default)]
    pub egress: Egress,
}

/// The `[egress]` section: where the hub may send requests of its own (push endpoints and push
/// gateways).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Egress {
    /// Allow push endpoints and gateways on loopback, private, link-local and other non-public
    /// addresses (tests and demos on one machine). Off: such an endpoint is refused when a device
    /// subscribes and again when a push is sent.
    pub allow_private_endpoints: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Requests per minute per client address (IPv6: per /64), kept in memory only.
    pub requests_per_minute: u32,
    /// Largest request body accepted (sealed reports are also capped at 512 KiB).
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's headers; then the connection is closed.
    pub header_read_timeout_secs: u64,
    /// Seconds a whole request may take (reading its body, handling it); then `408`.
    pub request_timeout_secs: u64,
    /// Open connections per client address (IPv6: per /64); more are closed at once.
    pub max_connections_per_client: u32,
    /// Open connections in all; more are closed at once.
    pub max_connections: u32,
    /// Bytes of sealed reports one client address may leave per day, counted in memory only.
    pub report_bytes_per_client_per_day: u64,
    /// Bytes of sealed reports the hub holds in all; more are refused (`429`) until some are
    /// fetched and expire.
    pub max_stored_report_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_read_timeout_secs: DEFAULT_HEADER_READ_TIMEOUT_SECS,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            report_bytes_per_client_per_day: DEFAULT_REPORT_BYTES_PER_CLIENT_PER_DAY,
            max_stored_report_bytes: DEFAULT_MAX_STORED_REPORT_BYTES,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Reports are deleted this many days after a dispatcher first fetched them.
    pub delivered_reports_days: u32,
    /// Alerts are deleted this many days after they are no longer served (an update or cancel
    /// is served while an alert it refers to is in force).
    pub expired_alerts_days: u32,
    /// Reports no dispatcher fetched are deleted this many days after they arrived.
    pub undelivered_reports_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            delivered_reports_days: DEFAULT_DELIVERED_REPORTS_DAYS,
            expired_alerts_days: DEFAULT_EXPIRED_ALERTS_DAYS,
            undelivered_reports_days: DEFAULT_UNDELIVERED_REPORTS_DAYS,
        }
    }
}

impl HubConfig {
    /// A configuration with every optional part at its default.
    pub fn new(
        listen: impl Into<String>,
        data_dir: impl Into<PathBuf>,
        network_profile: impl Into<PathBuf>,
    ) -> HubConfig {
        HubConfig {
            listen: listen.into(),
            data_dir: data_dir.into(),
            network_profile: network_profile.into(),
            packs_dir: None,
            watchlist: None,
            limits: Limits::default(),
            retention: Retention::default(),
            push: PushConfig::default(),
            egress: Egress::default(),
        }
    }

    /// Reads the TOML file at `path`; relative paths in it resolve against its directory.
    pub fn from_file(path: &Path) -> Result<HubConfig, HubError> {
        let text = std::fs::read_to_string(path).map_err(|e| HubError::Config {
            reason: format!("cannot read {}: {e}", path.display()),
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        HubConfig::from_toml(&text, base)
    }

    /// Parses configuration text; relative paths resolve against `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<HubConfig, HubError> {
        let mut config: HubConfig = toml::from_str(text).map_err(|e| HubError::Config {
            // toml's message quotes the offending line of the operator's own file: fine here.
            reason: e.to_string(),
        })?;
        config.resolve(base);
        // The Web Push client's resolver follows the egress policy (`PushConfig`).
        config.push.allow_private_endpoints = config.egress.allow_private_endpoints;
        config.check()?;
        Ok(config)
    }

    fn resolve(&mut self, base: &Path) {
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut self.data_dir);
        abs(&mut self.network_profile);
        if let Some(p) = &mut self.packs_dir {
            abs(p);
        }
        if let Some(p) = &mut self.watchlist {
            abs(p);
        }
        if let Some(fcm) = &mut self.push.fcm {
            abs(&mut fcm.access_token_file);
        }
        if let Some(apns) = &mut self.push.apns {
            abs(&mut apns.auth_token_file);
        }
    }

    /// Checks the values that need no file: limits in range.
    pub fn check(&self) -> Result<(), HubError> {
        let bad = |reason: &str| {
            Err(HubError::Config {
                reason: reason.to_owned(),
            })
        };
        if self.listen.trim().is_empty() {
            return bad("listen must be an address like 127.0.0.1:8080");
        }
        if self.limits.requests_per_minute == 0 {
            return bad("limits.requests_per_minute must be at least 1");
        }
        if self.limits.max_body_bytes < 1024 || self.limits.max_body_bytes > 64 * 1024 * 1024 {
            return bad("limits.max_body_bytes must be between 1 KiB and 64 MiB");
        }
        if self.retention.delivered_reports_days > 3650
            || self.retention.expired_alerts_days > 3650
            || self.retention.undelivered_reports_days > 3650
        {
            return bad("retention periods are at most 3650 days");
        }
        if self.retention.undelivered_reports_days == 0 {
            return bad("retention.undelivered_reports_days must be at least 1");
        }
        let l = &self.limits;
        if !(1..=3600).contains(&l.header_read_timeout_secs)
            || !(1..=3600).contains(&l.request_timeout_secs)
        {
            return bad("limits timeouts are between 1 and 3600 seconds");
        }
        if l.max_connections_per_client == 0 || l.max_connections < l.max_connections_per_client {
            return bad(
                "limits.max_connections_per_client must be at least 1 and at most limits.max_connections",
            );
        }
        if l.report_bytes_per_client_per_day == 0 || l.max_stored_report_bytes == 0 {
            return bad("report quotas must be at least 1 byte");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_relative_paths() {
        let c = HubConfig::from_toml(
            "listen = \"127.0.0.1:8080\"\ndata_dir = \"data\"\nnetwork_profile = \"/etc/silbato/network.json\"\npacks_dir = \"packs\"\n",
            Path::new("/srv/hub"),
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/hub/data"));
        assert_eq!(
            c.network_profile,
            PathBuf::from("/etc/silbato/network.json")
        );
        assert_eq!(c.packs_dir, Some(PathBuf::from("/srv/hub/packs")));
        assert_eq!(c.watchlist, None);
        assert_eq!(c.limits.requests_per_minute, 600);
        assert_eq!(c.limits.max_body_bytes, 512 * 1024);
        assert_eq!(c.retention.delivered_reports_days, 30);
    }

    #[test]
    fn push_credential_files_resolve_too() {
        let c = HubConfig::from_toml(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"d\"\nnetwork_profile = \"n.json\"\n[push.fcm]\nproject_id = \"p\"\naccess_token_file = \"fcm.token\"\n[push.apns]\ntopic = \"org.example.silbato\"\nauth_token_file = \"/abs/apns.jwt\"\n",
            Path::new("/srv/hub"),
        )
        .unwrap();
        let fcm = c.push.fcm.unwrap();
        assert_eq!(fcm.access_token_file, PathBuf::from("/srv/hub/fcm.token"));
        assert_eq!(
            c.push.apns.unwrap().auth_token_file,
            PathBuf::from("/abs/apns.jwt")
        );
    }

    #[test]
    fn sections_and_errors() {
        let c = HubConfig::from_toml(
            "listen = \"0.0.0.0:80\"\ndata_dir = \"d\"\nnetwork_profile = \"n.json\"\n[limits]\nrequests_per_minute = 5\n[retention]\ndelivered_reports_days = 2\n[push]\n",
            Path::new("/x"),
        )
        .unwrap();
        assert_eq!(c.limits.requests_per_minute, 5);
        assert_eq!(c.limits.max_body_bytes, 512 * 1024);
        assert_eq!(c.retention.delivered_reports_days, 2);
        assert!(HubConfig::from_toml("listen = \"x\"\n", Path::new("/")).is_err());
        assert!(
            HubConfig::from_toml(
                "listen = \"a:1\"\ndata_dir = \"d\"\nnetwork_profile = \"n\"\nunknown = 1\n",
                Path::new("/")
            )
            .is_err()
        );
        assert!(
            HubConfig::from_toml(
                "listen = \"a:1\"\ndata_dir = \"d\"\nnetwork_profile = \"n\"\n[limits]\nrequests_per_minute = 0\n",
                Path::new("/")
            )
            .is_err()
        );
    }
}
