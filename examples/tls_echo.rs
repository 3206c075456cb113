//! A TLS echo server and client over TCP, with rustls.
//!
//! `cargo run --example tls_echo --features tls` makes a throwaway certificate authority and a
//! certificate for `localhost` (with rcgen, in memory), serves TLS on a free loopback port with
//! `TlsListener` (each handshake in its connection's own task, with a timeout), connects with
//! `TcpConnectOptions::connect_tls`, checks what the session negotiated, and closes with a
//! proper `close_notify` on both sides.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{create_tcp_listener, TcpConnectOptions, TcpStream};
use anyio::streams::attributes::{TlsAlpnProtocol, TlsCipher, TlsVersion, TypedAttributeProvider};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};
use anyio::tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use anyio::tls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use anyio::tls::{TlsListener, TlsStream};
use anyio::{task_group, CancelScope};

type BoxError = Box<dyn Error + Send + Sync>;

/// A client configuration trusting a fresh CA, and a server one with a `localhost`
/// certificate it signed; both speak the "echo/1" application protocol.
fn configs() -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), BoxError> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate()?;
    let server_cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?
        .signed_by(&server_key, &issuer)?;

    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone())?;
    let mut client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![b"echo/1".to_vec()];
    let mut server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )?;
    server.alpn_protocols = vec![b"echo/1".to_vec()];
    Ok((Arc::new(client), Arc::new(server)))
}

async fn echo(stream: TlsStream<TcpStream>) {
    loop {
        match stream.receive(16 * 1024).await {
            Ok(data) => {
                if stream.send_all(&data).await.is_err() {
                    return;
                }
            }
            // The client's close_notify: say goodbye the same way.
            Err(StreamError::EndOfStream) => return stream.aclose().await,
            Err(error) => return eprintln!("server: {error}"),
        }
    }
}

#[anyio::main]
async fn main() -> Result<(), BoxError> {
    let (client_config, server_config) = configs()?;
    let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await?;
    let port = tcp.local_addrs()[0].port();
    let listener =
        TlsListener::new(tcp, server_config).with_handshake_timeout(Duration::from_secs(5));
    println!("TLS echo server on localhost:{port}");
    let server = CancelScope::new();
    let stop = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            server.run(listener.serve(echo)).await;
        })?;
        let stream = TcpConnectOptions::new("localhost", port)
            .connect_tls(client_config)
            .await?;
        println!(
            "connected: {} with {}, protocol {}",
            stream.extra::<TlsVersion>().unwrap_or_default(),
            stream.extra::<TlsCipher>().unwrap_or_default(),
            String::from_utf8_lossy(&stream.extra::<TlsAlpnProtocol>().unwrap_or_default()),
        );
        stream.send_all(b"hello over TLS").await?;
        stream.send_eof().await?; // close_notify; the echo still comes back
        let mut echoed = Vec::new();
        loop {
            match stream.receive(1024).await {
                Ok(data) => echoed.extend_from_slice(&data),
                Err(StreamError::EndOfStream) => break,
                Err(error) => return Err(error.into()),
            }
        }
        println!("echoed: {}", String::from_utf8_lossy(&echoed));
        stop.cancel();
        Ok::<_, BoxError>(())
    })
    .await
    .map_err(|error| format!("{error:?}"))?;
    Ok(())
}
