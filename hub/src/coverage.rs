//! Whether an alert is for this network's regions: a hub refuses one whose region codes or area
//! lie outside what its profile covers.
//!
//! A region code is covered when it is one of the profile's region codes or inside one
//! (`US-IL-CHI` is inside `US-IL`; `US-IL` is not inside `US-IL-CHI`: it reaches beyond it). The
//! area (circles and polygons) is judged only when every profile region has a polygon: then each
//! circle and each polygon must overlap at least one of them. An area cannot be judged against
//! a region known only by its code.

use silbato_proto::alert::Area;
use silbato_proto::geo::{Circle, Point, Polygon, circle_overlaps_polygon, contains};
use silbato_proto::network::NetworkProfile;

/// Whether `profile` covers every region code and every shape of `area`.
pub fn covers(profile: &NetworkProfile, area: &Area) -> bool {
    let code_covered = |code: &str| {
        profile.regions.iter().any(|r| {
            code == r.code
                || code
                    .strip_prefix(r.code.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
        })
    };
    if !area.regions.iter().all(|c| code_covered(c)) {
        return false;
    }
    let polygons: Option<Vec<Polygon>> = profile
        .regions
        .iter()
        .map(|r| {
            r.polygon
                .as_ref()
                .map(|ring| Polygon { ring: ring.clone() })
        })
        .collect();
    let Some(polygons) = polygons.filter(|p| !p.is_empty()) else {
        return true;
    };
    let circle_in = |c: &Circle| polygons.iter().any(|p| circle_overlaps_polygon(c, p));
    let polygon_in = |ring: &Vec<Point>| {
        let shape = Polygon { ring: ring.clone() };
        polygons.iter().any(|p| {
            ring.iter().any(|pt| contains(p, *pt)) || p.ring.iter().any(|pt| contains(&shape, *pt))
        })
    };
    area.circles.iter().all(circle_in) && area.polygons.iter().all(polygon_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use silbato_proto::network::Region;

    fn square(lat: f64, lon: f64, d: f64) -> Vec<Point> {
        vec![
            Point { lat, lon },
            Point { lat, lon: lon + d },
            Point {
                lat: lat + d,
                lon: lon + d,
            },
            Point { lat: lat + d, lon },
        ]
    }

    fn profile(regions: Vec<Region>) -> NetworkProfile {
        let mut p = silbato_testkit::TestNetwork::builder().build().profile;
        p.regions = regions;
        p
    }

    fn area(regions: &[&str], circles: Vec<Circle>, polygons: Vec<Vec<Point>>) -> Area {
        Area {
            circles,
            polygons,
            regions: regions.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn h12_20_codes_and_shapes_must_lie_inside() {
        let chi = Region {
            code: "US-IL-CHI".into(),
            name: "Chicago".into(),
            polygon: Some(square(41.6, -87.9, 0.4)),
        };
        let p = profile(vec![chi.clone()]);
        let inside = Circle {
            center: Point {
                lat: 41.8,
                lon: -87.66,
            },
            radius_m: 800.0,
        };
        let outside = Circle {
            center: Point {
                lat: 34.05,
                lon: -118.24,
            },
            radius_m: 800.0,
        };
        assert!(covers(&p, &area(&["US-IL-CHI"], vec![inside], vec![])));
        assert!(covers(&p, &area(&["US-IL-CHI-W"], vec![], vec![])));
        assert!(!covers(&p, &area(&["US-IL"], vec![], vec![])), "wider");
        assert!(!covers(&p, &area(&["US-CA-LA"], vec![], vec![])));
        assert!(!covers(&p, &area(&["US-IL-CHIX"], vec![], vec![])));
        assert!(!covers(&p, &area(&[], vec![outside], vec![])));
        assert!(covers(
            &p,
            &area(&[], vec![], vec![square(41.7, -87.7, 0.01)])
        ));
        assert!(!covers(
            &p,
            &area(&[], vec![], vec![square(34.0, -118.3, 0.01)])
        ));
        // A region known only by its code: shapes cannot be judged, codes still are.
        let mut coded = chi;
        coded.polygon = None;
        let p = profile(vec![coded]);
        assert!(covers(&p, &area(&[], vec![outside], vec![])));
        assert!(!covers(&p, &area(&["US-CA"], vec![outside], vec![])));
    }
}
