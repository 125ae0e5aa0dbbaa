//! The database password is kept out of the URL handed to sea-orm (which logs it at trace
//! level) and given to the driver separately. The test servers trust every local connection,
//! so this fake PostgreSQL asks for a cleartext password to prove it still arrives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gridloop::config::DatabaseSettings;
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The code of an SSLRequest in place of a protocol version.
const SSL_REQUEST: u32 = 80_877_103;

/// One length-prefixed message without a type byte (startup phase).
async fn read_startup(socket: &mut TcpStream) -> Vec<u8> {
    let len = socket.read_u32().await.unwrap() as usize;
    let mut body = vec![0; len - 4];
    socket.read_exact(&mut body).await.unwrap();
    body
}

/// Plays PostgreSQL up to the password: no TLS, then "send your password in clear".
async fn capture_password(listener: TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut startup = read_startup(&mut socket).await;
    if startup[..4] == SSL_REQUEST.to_be_bytes() {
        socket.write_all(b"N").await.unwrap();
        startup = read_startup(&mut socket).await;
    }
    assert!(!startup.is_empty());
    socket.write_all(b"R").await.unwrap();
    socket.write_u32(8).await.unwrap();
    socket.write_u32(3).await.unwrap();
    assert_eq!(socket.read_u8().await.unwrap(), b'p', "a password message");
    let len = socket.read_u32().await.unwrap() as usize;
    let mut body = vec![0; len - 4];
    socket.read_exact(&mut body).await.unwrap();
    String::from_utf8(body)
        .unwrap()
        .trim_end_matches('\0')
        .to_string()
}

#[tokio::test]
async fn the_password_of_a_postgres_url_still_reaches_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(capture_password(listener));
    let settings = DatabaseSettings {
        url: SecretString::from(format!(
            "postgres://gridloop:p%40ss%3Aword@127.0.0.1:{port}/gridloop"
        )),
        max_connections: 1,
    };

    let client = tokio::spawn(async move { gridloop::db::connect(&settings).await });
    let password = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("the client reaches the fake server")
        .unwrap();
    client.abort();

    assert_eq!(password, "p@ss:word");
}
