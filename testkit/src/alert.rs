//! Alerts made in code: [`AlertBuilder`] with the defaults of the inbox tests (an `observed` raid
//! alert of the `chi` network over 47th and Ashland, in English and Spanish, sent a minute before
//! `now` and in force for two hours), and co-signing an alert envelope one dispatcher at a time.
//!
//! This module owns those defaults and nothing else: [`AlertBuilder::build`] never validates (tests
//! build invalid alerts on purpose); [`AlertBuilder::sign`] validates through `sign_alert`, as a
//! dispatcher's tool would. It must never read the clock: times are relative to the `now` given.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use silbato_proto::Result;
use silbato_proto::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency, sign_alert,
};
use silbato_proto::crypto::SigningKey;
use silbato_proto::geo::{Circle, Point};

use crate::envelope::cosign_alert;

/// 47th and Ashland, Chicago: the centre of the default alert's circle.
pub const ASHLAND_47TH: Point = Point {
    lat: 41.8087,
    lon: -87.6656,
};
pub const DEFAULT_HEADLINE_EN: &str = "ICE vans at 47th and Ashland";
pub const DEFAULT_HEADLINE_ES: &str = "Camionetas de ICE en la 47 y Ashland";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// `now + offset`.
    Offset(Duration),
    At(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expires {
    /// `now + offset`.
    FromNow(Duration),
    /// `sent + offset`.
    FromSent(Duration),
    At(DateTime<Utc>),
}

/// An alert to build. Defaults: network `chi`, a new alert (no references), raid, severe,
/// immediate, observed; a circle of 800 m around [`ASHLAND_47TH`] and the region `US-IL-CHI`;
/// English ("ICE vans at 47th and Ashland", described "Two vans") and Spanish (headline only);
/// no hotline; sent one minute before `now`, expiring two hours after `now`; `now` =
/// [`crate::fixed_now`].
#[derive(Debug, Clone)]
pub struct AlertBuilder {
    id: String,
    network: String,
    msg_type: MsgType,
    references: Vec<String>,
    category: Category,
    severity: Severity,
    urgency: Urgency,
    certainty: Certainty,
    now: DateTime<Utc>,
    sent: Sent,
    expires: Expires,
    area: Area,
    info: BTreeMap<String, AlertText>,
    hotline: Option<String>,
    /// `Alert::lang`; unset by default, as in alerts signed before it existed.
    own_lang: Option<String>,
}

impl AlertBuilder {
    pub fn new(id: &str) -> Self {
        let info = BTreeMap::from([
            (
                "en".to_owned(),
                AlertText {
                    headline: DEFAULT_HEADLINE_EN.into(),
                    description: Some("Two vans".into()),
                    instruction: None,
                },
            ),
            (
                "es".to_owned(),
                AlertText {
                    headline: DEFAULT_HEADLINE_ES.into(),
                    description: None,
                    instruction: None,
                },
            ),
        ]);
        AlertBuilder {
            id: id.to_owned(),
            network: crate::DEFAULT_NETWORK_ID.to_owned(),
            msg_type: MsgType::Alert,
            references: Vec::new(),
            category: Category::Raid,
            severity: Severity::Severe,
            urgency: Urgency::Immediate,
            certainty: Certainty::Observed,
            now: crate::fixed_now(),
            sent: Sent::Offset(Duration::minutes(-1)),
            expires: Expires::FromNow(Duration::hours(2)),
            area: Area {
                circles: vec![Circle {
                    center: ASHLAND_47TH,
                    radius_m: 800.0,
                }],
                polygons: Vec::new(),
                regions: vec!["US-IL-CHI".into()],
            },
            info,
            hotline: None,
            own_lang: None,
        }
    }

    pub fn id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    pub fn network(mut self, network: &str) -> Self {
        self.network = network.to_owned();
        self
    }

    /// The time `sent` and `expires` are relative to (unless set with `sent_at` / `expires_at`).
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    pub fn msg_type(mut self, msg_type: MsgType) -> Self {
        self.msg_type = msg_type;
        self
    }

    pub fn references(mut self, ids: &[&str]) -> Self {
        self.references = ids.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    /// An update superseding `ids`.
    pub fn update(self, ids: &[&str]) -> Self {
        self.msg_type(MsgType::Update).references(ids)
    }

    /// A cancel retracting `ids` (the category stays as set; see [`AlertBuilder::all_clear`]).
    pub fn cancel(self, ids: &[&str]) -> Self {
        self.msg_type(MsgType::Cancel).references(ids)
    }

    /// A cancel of `ids` in the all-clear category.
    pub fn all_clear(self, ids: &[&str]) -> Self {
        self.cancel(ids).category(Category::AllClear)
    }

    pub fn category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn urgency(mut self, urgency: Urgency) -> Self {
        self.urgency = urgency;
        self
    }

    pub fn certainty(mut self, certainty: Certainty) -> Self {
        self.certainty = certainty;
        self
    }

    /// Sent `ago` before `now` (negative: in the future).
    pub fn sent_ago(mut self, ago: Duration) -> Self {
        self.sent = Sent::Offset(-ago);
        self
    }

    pub fn sent_at(mut self, sent: DateTime<Utc>) -> Self {
        self.sent = Sent::At(sent);
        self
    }

    /// Expires `after` `now` (negative: already expired).
    pub fn expires_in(mut self, after: Duration) -> Self {
        self.expires = Expires::FromNow(after);
        self
    }

    /// Expires `lifetime` after it was sent.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.expires = Expires::FromSent(lifetime);
        self
    }

    pub fn expires_at(mut self, expires: DateTime<Utc>) -> Self {
        self.expires = Expires::At(expires);
        self
    }

    /// Replaces the whole area.
    pub fn area(mut self, area: Area) -> Self {
        self.area = area;
        self
    }

    /// Empties the area (add circles, polygons or regions after).
    pub fn clear_area(self) -> Self {
        self.area(Area::default())
    }

    /// Adds a circle.
    pub fn circle(mut self, lat: f64, lon: f64, radius_m: f64) -> Self {
        self.area.circles.push(Circle {
            center: Point { lat, lon },
            radius_m,
        });
        self
    }

    /// Adds a polygon (one outer ring).
    pub fn polygon(mut self, ring: Vec<Point>) -> Self {
        self.area.polygons.push(ring);
        self
    }

    /// Adds a region code.
    pub fn region(mut self, code: &str) -> Self {
        self.area.regions.push(code.to_owned());
        self
    }

    /// Replaces the region codes.
    pub fn regions(mut self, codes: &[&str]) -> Self {
        self.area.regions = codes.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Sets the headline in `lang`, adding the language (with no description or instruction) if
    /// it has no text yet.
    pub fn text(mut self, lang: &str, headline: &str) -> Self {
        self.entry(lang).headline = headline.to_owned();
        self
    }

    /// Sets the description in `lang` (a language with no text yet gets an empty headline).
    pub fn description(mut self, lang: &str, description: Option<&str>) -> Self {
        self.entry(lang).description = description.map(str::to_owned);
        self
    }

    /// Sets the instruction in `lang` (a language with no text yet gets an empty headline).
    pub fn instruction(mut self, lang: &str, instruction: Option<&str>) -> Self {
        self.entry(lang).instruction = instruction.map(str::to_owned);
        self
    }

    /// Removes the text in `lang`.
    pub fn without_text(mut self, lang: &str) -> Self {
        self.info.remove(lang);
        self
    }

    /// Removes every language.
    pub fn clear_texts(mut self) -> Self {
        self.info.clear();
        self
    }

    pub fn hotline(mut self, number: Option<&str>) -> Self {
        self.hotline = number.map(str::to_owned);
        self
    }

    /// Sets the alert's own language (`Alert::lang`), the one a missing field falls back to.
    pub fn own_lang(mut self, lang: Option<&str>) -> Self {
        self.own_lang = lang.map(str::to_owned);
        self
    }

    fn entry(&mut self, lang: &str) -> &mut AlertText {
        self.info
            .entry(lang.to_owned())
            .or_insert_with(|| AlertText {
                headline: String::new(),
                description: None,
                instruction: None,
            })
    }

    /// The alert, not validated.
    pub fn build(&self) -> Alert {
        let sent = match self.sent {
            Sent::Offset(d) => self.now + d,
            Sent::At(t) => t,
        };
        let expires = match self.expires {
            Expires::FromNow(d) => self.now + d,
            Expires::FromSent(d) => sent + d,
            Expires::At(t) => t,
        };
        Alert {
            format: 1,
            id: self.id.clone(),
            network: self.network.clone(),
            msg_type: self.msg_type,
            references: self.references.clone(),
            category: self.category,
            severity: self.severity,
            urgency: self.urgency,
            certainty: self.certainty,
            sent,
            expires,
            area: self.area.clone(),
            info: self.info.clone(),
            hotline: self.hotline.clone(),
            lang: self.own_lang.clone(),
        }
    }

    /// Validates the alert and signs it with every key in `keys` at once.
    pub fn sign(&self, keys: &[&SigningKey]) -> Result<Vec<u8>> {
        sign_alert(&self.build(), keys)
    }

    /// As a two-person rule does it: the first key signs, then each other key adds its signature
    /// to the envelope ([`crate::envelope::cosign_alert`]).
    pub fn sign_in_turn(&self, keys: &[&SigningKey]) -> Result<Vec<u8>> {
        let Some((first, rest)) = keys.split_first() else {
            // No signer: the same unsigned envelope `sign` makes.
            return self.sign(keys);
        };
        let mut bytes = self.sign(&[first])?;
        for k in rest {
            bytes = cosign_alert(&bytes, k)?;
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use silbato_proto::alert::{Rejection, verify_alert_envelope};

    use super::*;
    use crate::TestNetwork;

    #[test]
    fn the_default_alert_needs_both_dispatchers() {
        let net = TestNetwork::builder().build();
        let now = net.now;
        let a = net.alert("a1");
        let alert = a.build();
        alert.validate().unwrap();
        assert_eq!(alert.sent, now - Duration::minutes(1));
        assert_eq!(alert.expires, now + Duration::hours(2));
        let profiles = [net.profile.clone()];
        let one = a.sign(&[net.dispatcher(0)]).unwrap();
        assert_eq!(
            verify_alert_envelope(&profiles, &one, now).unwrap_err(),
            Rejection::NotEnoughSignatures { have: 1, need: 2 }
        );
        let both = cosign_alert(&one, net.dispatcher(1)).unwrap();
        let ok = verify_alert_envelope(&profiles, &both, now).unwrap();
        assert_eq!(ok.signers.len(), 2);
        let in_turn = a.sign_in_turn(&net.dispatcher_signers(2)).unwrap();
        assert_eq!(in_turn, both);
        assert!(
            verify_alert_envelope(&profiles, &a.sign(&net.dispatcher_signers(2)).unwrap(), now)
                .is_ok()
        );
    }

    #[test]
    fn chains_times_areas_and_texts() {
        let now = crate::fixed_now();
        let cancel = AlertBuilder::new("c")
            .now(now)
            .all_clear(&["a"])
            .certainty(Certainty::Likely)
            .sent_ago(Duration::hours(1))
            .lifetime(Duration::hours(3))
            .clear_area()
            .region("US-IL")
            .polygon(crate::network::chicago_ring())
            .circle(41.0, -87.0, 100.0)
            .without_text("es")
            .text("en", "All clear")
            .description("en", None)
            .instruction("en", Some("Go home"))
            .hotline(Some("+1 312 555 0100"))
            .build();
        cancel.validate().unwrap();
        assert_eq!(cancel.msg_type, MsgType::Cancel);
        assert_eq!(cancel.category, Category::AllClear);
        assert_eq!(cancel.references, vec!["a".to_owned()]);
        assert_eq!(cancel.expires, now + Duration::hours(2));
        assert_eq!(cancel.info.len(), 1);
        assert_eq!(cancel.area.circles.len(), 1);
        // A plain alert with references is refused by `sign`, as by any dispatcher's tool.
        let sneaky = AlertBuilder::new("s").references(&["a"]);
        assert!(sneaky.sign(&[&crate::signing_key("d")]).is_err());
        let unsigned = AlertBuilder::new("n");
        assert_eq!(unsigned.sign_in_turn(&[]).ok(), unsigned.sign(&[]).ok());
    }
}
