//! Fuzz target for DID documents, fetched from any `did:web` host or the PLC directory and
//! read by the identity resolver. See `tutti-fuzz`:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-worker --test fuzz -- --test-threads=1 --nocapture
//! ```

use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::{fuzz, mutated, nested};
use tutti_worker::identity::{claimed_handle, valid_handle};

const DOCUMENT: &str = r##"{"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1"],"id":"did:plc:ewvi7nxzyoun6zhxrhs64oiz","alsoKnownAs":["at://alice.bsky.social"],"verificationMethod":[{"id":"did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto","type":"Multikey","controller":"did:plc:ewvi7nxzyoun6zhxrhs64oiz","publicKeyMultibase":"zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w"}],"service":[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"https://morel.us-east.host.bsky.network"}]}"##;

#[test]
fn fuzz_did_documents() {
    let input = prop_oneof![
        6 => mutated(vec![DOCUMENT.as_bytes().to_vec(), br#"{"did":"did:plc:ewvi7nxzyoun6zhxrhs64oiz","handle":"alice.bsky.social"}"#.to_vec()]),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => nested("[", "\"at://a.example\"", "]", 100_000).prop_map(|d| format!(r#"{{"alsoKnownAs":{d}}}"#).into_bytes()),
        1 => nested("{\"a\":", "1", "}", 100_000).prop_map(String::into_bytes),
    ];
    fuzz("did-document", 1_000, input, |body| {
        // As the resolver reads an answer: JSON, then the handle it claims.
        if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(handle) = claimed_handle(&doc) {
                prop_assert!(valid_handle(&handle), "{handle:?}");
                prop_assert_eq!(handle.to_ascii_lowercase(), handle.clone());
                prop_assert!(!handle.contains(['/', '?', '#', '&', ' ']));
            }
        }
        Ok(())
    });
}
