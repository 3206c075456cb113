// Included (hidden) by the TLS documentation examples, as an expression:
// `let (client_config, server_config) = include!(...)`. A client configuration trusting a
// fresh self-signed certificate for `localhost`, and the server configuration presenting it,
// generated at run time with rcgen (a dev-dependency); no key is ever committed.
{
    use anyio_core::tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use anyio_core::tls::rustls::{ClientConfig, RootCertStore, ServerConfig};
    let key = rcgen::KeyPair::generate().expect("a fresh key");
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .and_then(|params| params.self_signed(&key))
        .expect("a self-signed certificate");
    let mut roots = RootCertStore::empty();
    roots.add(certificate.der().clone()).expect("the certificate parses");
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("the certificate matches its key");
    (std::sync::Arc::new(client), std::sync::Arc::new(server))
}
