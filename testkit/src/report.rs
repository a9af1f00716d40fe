//! Sealed sighting reports made in code: [`sample_sighting`] and [`ReportBuilder`], sealed with
//! `silbato_proto::protocol::seal_report` to dispatcher keys.
//!
//! This module owns the sample sighting; the report format and its sealing are the protocol's. It
//! must never read the clock: the sighting and report times come from the `now` given.

use chrono::{DateTime, Duration, Utc};
use silbato_proto::Result;
use silbato_proto::crypto::PublicKey;
use silbato_proto::protocol::{Report, report_recipients, seal_report};
use silbato_proto::seal::SealPublicKey;
use silbato_proto::sighting::{Activity, Agency, Confidence, Location, Sighting, Vehicle};

use crate::TestNetwork;

/// A complete, valid sighting observed five minutes before `now` at 47th and Ashland: a raid by
/// ICE, four officers, one vehicle with a plate, a note.
pub fn sample_sighting(now: DateTime<Utc>) -> Sighting {
    let mut s = Sighting::new(
        now - Duration::minutes(5),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.location = Some(Location {
        lat: 41.8087,
        lon: -87.6656,
        accuracy_m: Some(25.0),
    });
    s.place = Some("Home Depot parking lot, 47th St".into());
    s.officer_count = Some(4);
    s.vehicles.push(Vehicle {
        description: Some("grey van".into()),
        plate: Some("ABC1234".into()),
        plate_state: Some("IL".into()),
    });
    s.notes = Some("Two unmarked vans; agents on foot.".into());
    s
}

/// A report to build or seal. Defaults: network `chi`, record `r1`, [`sample_sighting`], the
/// device key of `signing_key("device")`, created at `now` = [`crate::fixed_now`].
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    network: String,
    record_id: String,
    sighting: Option<Sighting>,
    device_key: Option<PublicKey>,
    now: DateTime<Utc>,
}

impl ReportBuilder {
    pub fn new(network: &str) -> Self {
        ReportBuilder {
            network: network.to_owned(),
            record_id: "r1".into(),
            sighting: None,
            device_key: None,
            now: crate::fixed_now(),
        }
    }

    pub fn record_id(mut self, id: &str) -> Self {
        self.record_id = id.to_owned();
        self
    }

    pub fn sighting(mut self, sighting: Sighting) -> Self {
        self.sighting = Some(sighting);
        self
    }

    pub fn device_key(mut self, key: PublicKey) -> Self {
        self.device_key = Some(key);
        self
    }

    /// The report's creation time, and the sample sighting's reference time.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    pub fn build(&self) -> Report {
        Report {
            v: 1,
            network: self.network.clone(),
            record_id: self.record_id.clone(),
            sighting: self
                .sighting
                .clone()
                .unwrap_or_else(|| sample_sighting(self.now)),
            device_key: self
                .device_key
                .unwrap_or_else(|| crate::signing_key("device").public_key()),
            created_at: self.now,
        }
    }

    /// Seals the report to `recipients` (one copy of the content key each).
    pub fn seal(&self, recipients: &[SealPublicKey]) -> Result<Vec<u8>> {
        seal_report(&self.build(), recipients)
    }

    /// Seals the report to the dispatchers of `net` valid at this builder's `now`, as a device
    /// does.
    pub fn seal_for(&self, net: &TestNetwork) -> Result<Vec<u8>> {
        self.seal(&report_recipients(&net.profile, self.now))
    }
}

#[cfg(test)]
mod tests {
    use silbato_proto::protocol::open_report;

    use super::*;
    use crate::network::DispatcherSpec;

    #[test]
    fn reports_open_for_listed_dispatchers_only() {
        let net = TestNetwork::builder()
            .dispatcher(DispatcherSpec::new("Unlisted").without_seal_key())
            .build();
        let report = net.report().record_id("r9");
        sample_sighting(net.now).validate(net.now).unwrap();
        let sealed = report.seal_for(&net).unwrap();
        assert_eq!(
            open_report(&sealed, &net.dispatchers[0].seal).unwrap(),
            report.build()
        );
        assert!(open_report(&sealed, &net.dispatchers[1].seal).is_ok());
        assert!(open_report(&sealed, &net.dispatchers[2].seal).is_err());
        assert!(report.seal(&[]).is_err());
    }
}
