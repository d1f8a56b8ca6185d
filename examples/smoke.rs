use std::time::Duration;
use zkclient::*;
fn main() {
    let hosts = std::env::var("ZK_HOSTS").unwrap();
    let mut o = Options::new(hosts);
    o.logger = Some((std::sync::Arc::new(|l, m: &str| eprintln!("[{l:?}] {m}")), LogLevel::Debug));
    let c = Client::new(o).unwrap();
    c.add_listener(Box::new(|s, k| eprintln!("listener: {s:?} {k:?}")));
    c.start(Duration::from_secs(5)).unwrap();
    let _ = c.delete("/smoke", -1, true, None);
    let r = c.create("/smoke", b"hi", &CreateOptions::default(), true, None).unwrap();
    println!("created {:?}", r);
    let (d, s) = c.get("/smoke", Some(Box::new(|e| eprintln!("watch: {e:?}"))), None).unwrap();
    println!("get {:?} v{}", String::from_utf8_lossy(&d), s.version);
    c.set("/smoke", b"ho", -1, None).unwrap();
    c.create("/smoke/a/b", b"", &CreateOptions { makepath: true, ..Default::default() }, false, None).unwrap();
    println!("children {:?}", c.get_children("/smoke", None, true, None).unwrap());
    println!("exists missing {:?}", c.exists("/nope", None, None).unwrap());
    println!("ruok {:?}", c.command("ruok", None));
    println!("version {:?}", c.server_version(None));
    c.delete("/smoke", -1, true, None).unwrap();
    println!("sync {:?}", c.sync("/", None));
    c.stop().unwrap();
    std::thread::sleep(Duration::from_millis(100));
}
