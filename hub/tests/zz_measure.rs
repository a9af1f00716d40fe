#![allow(clippy::unwrap_used)]
mod common;
use std::sync::Arc;
use std::time::{Duration, Instant};
#[test]
#[ignore]
fn measure() {
    let f = common::Fixture::new();
    let n = 10_000;
    {
        let store = silbato_hub::db::open(&f.config.data_dir).unwrap();
        let key = silbato_core::seal::SealSecretKey::generate()
            .unwrap()
            .public_key();
        store
            .write(|tx| {
                for i in 0..n {
                    tx.execute(
                        "INSERT INTO push_subscriptions VALUES (?1, 'webpush', ?2, ' US-IL ', 0)",
                        rusqlite::params![format!("https://x.org/{i}"), key.to_string()],
                    )?;
                }
                Ok(())
            })
            .unwrap();
    }
    let rec = Arc::new(common::Recorder::default());
    let hub = f.start_with(common::gateways(&rec));
    let base = hub.url();
    let c = common::client();
    let body = f.net.sign(&common::alert("m1", &["US-IL-CHI"]));
    let t = Instant::now();
    let r = c
        .post(format!("{base}/v1/alerts"))
        .body(body)
        .send()
        .unwrap();
    let answered = t.elapsed();
    assert_eq!(r.status(), 201);
    assert!(hub.wait_fanout_idle(Duration::from_secs(600)));
    eprintln!(
        "fanout {n}: POST answered in {answered:?}, all sent in {:?}; stats {:?}",
        t.elapsed(),
        hub.fanout_stats()
    );
    let t = Instant::now();
    for i in 0..500 {
        c.post(format!("{base}/v1/reports"))
            .header("idempotency-key", format!("k{i}"))
            .body(vec![7u8; 2048])
            .send()
            .unwrap();
    }
    eprintln!("500 report posts (2 KiB, sequential): {:?}", t.elapsed());
    for i in 0..200 {
        let b = f.net.sign(&common::alert(&format!("x{i}"), &["US-IL-CHI"]));
        c.post(format!("{base}/v1/alerts")).body(b).send().unwrap();
    }
    let t = Instant::now();
    for _ in 0..200 {
        c.get(format!("{base}/v1/alerts?region=US-IL-CHI&limit=100"))
            .send()
            .unwrap()
            .bytes()
            .unwrap();
    }
    eprintln!("200 alert pages of 100: {:?}", t.elapsed());
}
