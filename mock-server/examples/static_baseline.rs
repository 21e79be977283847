//! The speed limit for `bench/load.sh`: an axum server that answers every request with the same bytes, read
//! once from a file, with the mock's content type. Whatever the mock does beyond this (auth, parsing, querying,
//! assembling a page) is what the load test measures.
//!
//! `cargo run --release -p openmic-mock --example static_baseline -- PAGE.json [PORT]` prints
//! `listening on http://127.0.0.1:PORT` and serves until killed.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: static_baseline PAGE.json [PORT]")?;
    let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(0);
    let page = Bytes::from(std::fs::read(&path)?);
    let app = Router::new().fallback(move || {
        let page = page.clone();
        async move {
            (
                [(header::CONTENT_TYPE, openmic_mock::JSON_CONTENT_TYPE)],
                page,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
