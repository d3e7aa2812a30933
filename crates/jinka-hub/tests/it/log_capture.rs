//! Logs never show a key: the test's hub logs into a buffer at TRACE level while keys are
//! uploaded and credentials created.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use crate::keys::{holds_a_key, key_set};
use crate::test_hub::TestHub;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// The process-wide log buffer (every test's hub logs into it once installed).
fn logs() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buffer.clone())
            .init();
        buffer
    })
}

#[tokio::test]
async fn logs_show_no_key_and_say_when_a_kek_is_created() {
    let buffer = logs();
    let hub = TestHub::start().await;
    let issuer = hub.member("City card", &["issuer"]).await;
    let keys = key_set(99, [0x31, 0x04, 0, 0, 0, 0, 0, 2]);
    let reply = hub
        .post_raw(
            &format!("/v1/issuers/{}/keys", issuer.id),
            Some(&hub.operator_key),
            keys.to_json().as_bytes().to_vec(),
        )
        .await;
    assert_eq!(reply.status, 201);
    let bad = keys.to_json().replace("\"sm4\"", "\"aes\"");
    let reply = hub
        .post_raw(
            &format!("/v1/issuers/{}/keys", issuer.id),
            Some(&hub.operator_key),
            bad.into_bytes(),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = hub
        .post(
            "/v1/terminals",
            Some(&issuer.key),
            &json!({ "terminal_id": "000000000001", "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400);

    let text = buffer
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let text = String::from_utf8_lossy(&text).into_owned();
    assert!(text.contains("created a new key-encryption key"), "{text}");
    assert!(text.contains("stored issuer key set"), "{text}");
    assert!(!holds_a_key(text.as_bytes(), &keys), "a key is in the log");
    for key in [&hub.operator_key, &issuer.key] {
        let secret = key.rsplit('_').next().unwrap();
        assert!(!text.contains(secret), "an API key is in the log");
    }
    let kek = std::fs::read_to_string(hub.data_dir().join(jinka_hub::KEK_FILE_NAME)).unwrap();
    assert!(!text.contains(kek.trim()), "the KEK is in the log");
}
