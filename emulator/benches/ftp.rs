//! Image transfer throughput on loopback: build a 100 MB image, serve it with the embedded image
//! servers, download it with the device-side FTP and HTTP clients, and print MB/s (target: over
//! 200 MB/s). `ACNSLAB_BENCH_MB` changes the image size.

use std::time::Instant;

use acnslab::config::DeviceKind;
use acnslab::images::transfer::{self, Pace};
use acnslab::images::{self, server::ImageServer};

const MB: f64 = 1024.0 * 1024.0;

fn rate(bytes: u64, secs: f64) -> String {
    format!("{:8.1} MB/s ({:.3} s)", bytes as f64 / MB / secs, secs)
}

fn main() {
    let mb: u64 = std::env::var("ACNSLAB_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let size = mb << 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let images_dir = dir.path().join("images");
    std::fs::create_dir_all(&images_dir).unwrap();
    let version = "5.2.1".parse().unwrap();
    let name = images::image_name(version);
    let path = images_dir.join(&name);

    let t = Instant::now();
    images::write_image(&path, version, &DeviceKind::ALL, size).unwrap();
    println!(
        "write_image  {mb} MB: {}",
        rate(size, t.elapsed().as_secs_f64())
    );
    let t = Instant::now();
    images::inspect(&path).unwrap();
    println!(
        "inspect      {mb} MB: {}",
        rate(size, t.elapsed().as_secs_f64())
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = ImageServer::start(dir.path().to_path_buf(), 0, 0, "acns", "bench")
            .await
            .unwrap();
        let dest = dir.path().join("dest.bin");
        for round in 1..=2 {
            let mut calls = 0u64;
            let t = Instant::now();
            let n = transfer::ftp_download(
                &transfer::FtpServer::new(server.ftp_addr(), "acns", "bench"),
                "/images",
                &name,
                &dest,
                &mut Pace::unlimited(),
                &mut |_| calls += 1,
            )
            .await
            .unwrap();
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(n, size);
            println!(
                "ftp_download {mb} MB: {} [round {round}, {calls} progress calls]",
                rate(n, secs)
            );

            let t = Instant::now();
            let n = transfer::http_download(
                server.http_addr(),
                &format!("/images/{name}"),
                &dest,
                &mut Pace::unlimited(),
                &mut |_| {},
            )
            .await
            .unwrap();
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(n, size);
            println!("http_download {mb} MB: {} [round {round}]", rate(n, secs));
        }
        let t = Instant::now();
        let n = transfer::ftp_upload(
            &transfer::FtpServer::new(server.ftp_addr(), "acns", "bench"),
            "/",
            "up.bin",
            &dest,
            &mut Pace::unlimited(),
        )
        .await
        .unwrap();
        println!(
            "ftp_upload   {mb} MB: {}",
            rate(n, t.elapsed().as_secs_f64())
        );
        images::inspect(&dest).unwrap();
        server.stop().await;
    });
}
