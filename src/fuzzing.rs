//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), and the replay of their
//! committed corpus in the unit tests. Each takes arbitrary bytes, as a server or a peer
//! could send them, and must neither panic nor allocate what a length prefix claims: a
//! decode error is the right answer to garbage. Built with the `fuzzing` feature (the
//! fuzz crate turns it on) and in tests; never part of the library's API.

use crate::proto::consts::DEFAULT_MAX_FRAME;
use crate::proto::frame::split_frame;
use crate::proto::multi::{MultiRequest, MultiResponse};
use crate::proto::wire::{Decode, Encode, Reader, Writer};
use crate::proto::*;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the name of their folder in `fuzz/fuzz_targets` and
/// `fuzz/corpus`.
pub const TARGETS: &[(&str, Target)] = &[
    ("frames", frames),
    ("reply", reply),
    ("watcher_event", watcher_event),
    ("multi_response", multi_response),
    ("connect_response", connect_response),
    ("request_roundtrip", request_roundtrip),
    ("sasl_digest", sasl_digest),
];

/// The frame splitter over a byte stream: every frame it cuts lies inside the input and
/// under the limit, and it never asks for more than the limit.
pub fn frames(data: &[u8]) {
    let mut rest = data;
    while let Ok(Some((frame, used))) = split_frame(rest, DEFAULT_MAX_FRAME) {
        assert!(frame.len() <= DEFAULT_MAX_FRAME && used <= rest.len() && used >= 4);
        rest = &rest[used..];
    }
}

/// A reply: the header, then the body of the response type the first byte picks (every
/// response record the client decodes), with the client's field limit.
pub fn reply(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let mut r = Reader::with_max_len(body, DEFAULT_MAX_FRAME);
    if ReplyHeader::decode(&mut r).is_err() {
        return;
    }
    macro_rules! any_of {
        ($($t:ty),* $(,)?) => {{
            let decoders: &[fn(&mut Reader<'_>)] = &[$(|r| { let _ = <$t>::decode(r); }),*];
            decoders[pick as usize % decoders.len()](&mut r);
        }};
    }
    any_of!(
        CreateResponse,
        Create2Response,
        GetDataResponse,
        SetDataResponse,
        ExistsResponse,
        GetChildrenResponse,
        GetChildren2Response,
        GetAclResponse,
        SetAclResponse,
        SyncResponse,
        ErrorResponse,
        GetEphemeralsResponse,
        GetAllChildrenNumberResponse,
        WhoAmIResponse,
        SetSaslResponse,
        MultiResponse,
    );
}

/// A watch notification's body (the reader skips one that does not decode).
pub fn watcher_event(data: &[u8]) {
    let _ = WatcherEvent::decode(&mut Reader::with_max_len(data, DEFAULT_MAX_FRAME));
}

/// A multi response: per-op results, each with its own header.
pub fn multi_response(data: &[u8]) {
    let _ = MultiResponse::decode(&mut Reader::with_max_len(data, DEFAULT_MAX_FRAME));
}

/// The handshake's answer.
pub fn connect_response(data: &[u8]) {
    let _ = ConnectResponse::decode(&mut Reader::with_max_len(data, DEFAULT_MAX_FRAME));
}

/// Every request record, picked by the first byte: whatever decodes from the bytes encodes
/// and decodes back to the same value (nulls come back empty, CESU-8 as UTF-8, both of which
/// the first decode already did).
pub fn request_roundtrip(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    fn check<T: Decode + Encode + PartialEq + std::fmt::Debug>(body: &[u8]) {
        let Ok(first) = T::decode(&mut Reader::with_max_len(body, DEFAULT_MAX_FRAME)) else {
            return;
        };
        let mut w = Writer::new();
        first.encode(&mut w);
        let bytes = w.into_inner();
        let again = T::decode(&mut Reader::with_max_len(&bytes, usize::MAX))
            .expect("what was encoded decodes");
        assert_eq!(first, again);
    }
    let checks: &[fn(&[u8])] = &[
        check::<ConnectRequest>,
        check::<RequestHeader>,
        check::<AuthPacket>,
        check::<SetWatches>,
        check::<SetWatches2>,
        check::<CreateRequest>,
        check::<CreateTtlRequest>,
        check::<DeleteRequest>,
        check::<GetDataRequest>,
        check::<SetDataRequest>,
        check::<ExistsRequest>,
        check::<GetChildrenRequest>,
        check::<GetChildren2Request>,
        check::<GetAclRequest>,
        check::<SetAclRequest>,
        check::<SyncRequest>,
        check::<CheckVersionRequest>,
        check::<GetEphemeralsRequest>,
        check::<GetAllChildrenNumberRequest>,
        check::<AddWatchRequest>,
        check::<CheckWatchesRequest>,
        check::<RemoveWatchesRequest>,
        check::<ReconfigRequest>,
        check::<GetSaslRequest>,
        check::<SetSaslRequest>,
        check::<MultiRequest>,
    ];
    checks[pick as usize % checks.len()](body);
}

/// The DIGEST-MD5 mechanism over what a server may send: the bytes up to the first NUL as
/// the challenge, the rest as the server's last message (`rspauth=...`). Errors are the
/// right answer to garbage; a response, when there is one, stays under RFC 2831's limit.
pub fn sasl_digest(data: &[u8]) {
    use crate::proto::sasl::{DigestMd5, MAX_RESPONSE, ZOOKEEPER_DIGEST_URI};
    let (challenge, last) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut m = DigestMd5::new(
        "bob",
        "p\u{e4}ss",
        Some("z"),
        ZOOKEEPER_DIGEST_URI,
        "c0ffee",
    );
    if let Ok(response) = m.respond(challenge) {
        assert!(response.len() < MAX_RESPONSE);
        let _ = m.verify(last);
    }
}

#[cfg(test)]
mod tests {
    use super::TARGETS;
    use std::path::Path;

    /// Replays the committed corpus of every target (what the fuzzer found worth keeping,
    /// and every input that once crashed): bounded, no fuzzing in the test command.
    #[test]
    fn the_fuzz_corpus_replays_without_a_panic() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (name, target) in TARGETS {
            let dir = root.join(name);
            let mut n = 0;
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                n += 1;
            }
            assert!(n > 0, "{dir:?} is empty");
        }
    }

    /// Inputs the targets must survive whatever the corpus holds: lengths that claim more
    /// than there is, negative and huge counts.
    #[test]
    fn hostile_lengths_are_decode_errors() {
        let huge = [0x7f, 0xff, 0xff, 0xff];
        let negative = [0xff, 0xff, 0xff, 0xfe];
        for (_, target) in TARGETS {
            for pick in 0..=40u8 {
                for len in [huge, negative] {
                    let mut input = vec![pick];
                    input.extend_from_slice(&len);
                    input.extend_from_slice(&[0u8; 40]);
                    input.extend_from_slice(&len);
                    target(&input);
                    target(&input[1..]);
                }
            }
        }
    }
}
