//! A server that requires SASL (zookeeper.sessionRequireClientSASLAuth, `zkharness.py
//! --sasl-required`): a client with SASL works as anywhere, and a client without it is
//! told so on its first request, with the code the server uses for it.

mod common;
mod harness;

use common::start;
use harness::{Cluster, ClusterOpts};
use zkclient::{Error, Sasl};

#[test]
fn only_a_sasl_client_is_served() {
    let cl = Cluster::start_with(
        1,
        &ClusterOpts {
            sasl_digest: vec![("bob".into(), "pw".into())],
            sasl_required: true,
            ..Default::default()
        },
    );
    let mut o = common::options(cl.hosts());
    o.sasl = Some(Sasl::digest_md5("bob", "pw"));
    let bob = start(o);
    assert!(bob.exists("/", None, None).unwrap().is_some());

    // The handshake works; the first request is refused and the connection closed.
    let plain = start(common::options(cl.hosts()));
    assert_eq!(
        plain.exists("/", None, None).map(|_| ()),
        Err(Error::SessionClosedRequireSaslAuth)
    );
}
