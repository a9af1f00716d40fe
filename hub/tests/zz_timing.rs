#![allow(clippy::unwrap_used)]
mod common;
#[test]
fn timing() {
    let f = common::Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let t = std::time::Instant::now();
    for _ in 0..20 {
        common::client();
    }
    eprintln!("20 clients: {:?}", t.elapsed());
    let c = common::client();
    let t = std::time::Instant::now();
    for _ in 0..50 {
        c.get(format!("{base}/v1/alerts")).send().unwrap();
    }
    eprintln!("50 gets: {:?}", t.elapsed());
    let key = silbato_core::seal::SealSecretKey::generate()
        .unwrap()
        .public_key();
    let t = std::time::Instant::now();
    for i in 0..50 {
        let body = serde_json::json!({"provider":"webpush","endpoint":format!("https://x.org/{i}"),"push_key":key.to_string(),"regions":["US-IL"]});
        c.post(format!("{base}/v1/reports"))
            .header("idempotency-key", format!("k{i}"))
            .body(body.to_string())
            .send()
            .unwrap();
    }
    eprintln!("50 report posts: {:?}", t.elapsed());
}
