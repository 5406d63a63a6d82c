//! A remoting proxy that stands in for the embedded broker: clients reach the broker through
//! it (a second proxy in front of the name server rewrites the broker address in routes), so a
//! test can refuse chosen requests, count what clients send, and send requests to a client
//! over the connection the client opened (GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq_core::protocol::body::HeartbeatData;
use rmq_core::protocol::{ExtFields, RemotingCommand, RequestCode};
use rmq_core::remoting::{serve, Channel, RemotingClient, RequestHandler, ServerHandle};
use tokio::net::TcpListener;

/// Answers a request itself instead of forwarding it.
pub type Rule = Box<dyn Fn(&RemotingCommand) -> Option<RemotingCommand> + Send + Sync>;

/// A request a client sent through the proxy.
#[derive(Debug, Clone)]
pub struct Seen {
    pub code: i32,
    pub ext_fields: ExtFields,
    pub body: Vec<u8>,
}

struct Inner {
    upstream: String,
    /// Rewrites route bodies (GET_ROUTEINFO_BY_TOPIC answers): `from` → `to`.
    rewrite: Option<(String, String)>,
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Vec<Seen>>,
    /// Client connections by the client id of their heartbeats.
    clients: Mutex<HashMap<String, Channel>>,
    upstreams: Mutex<HashMap<u64, RemotingClient<Back>>>,
}

/// Forwards what the broker sends a client to the client's connection.
struct Back {
    downstream: Channel,
}

fn copy(req: &RemotingCommand) -> RemotingCommand {
    let mut fwd = RemotingCommand::request(req.code);
    fwd.language = req.language;
    fwd.version = req.version;
    fwd.remark = req.remark.clone();
    fwd.ext_fields = req.ext_fields.clone();
    fwd.body = req.body.clone();
    fwd
}

impl RequestHandler for Back {
    async fn handle(&self, _ch: Channel, req: RemotingCommand) -> Option<RemotingCommand> {
        if req.is_oneway() {
            let _ = self.downstream.invoke_oneway(copy(&req)).await;
            return None;
        }
        match self
            .downstream
            .invoke(copy(&req), Duration::from_secs(30))
            .await
        {
            Ok(mut resp) => {
                resp.opaque = req.opaque;
                Some(resp)
            }
            Err(_) => None,
        }
    }
}

impl RequestHandler for Inner {
    async fn handle(&self, ch: Channel, req: RemotingCommand) -> Option<RemotingCommand> {
        self.seen.lock().unwrap().push(Seen {
            code: req.code,
            ext_fields: req.ext_fields.clone(),
            body: req.body.to_vec(),
        });
        if req.code == RequestCode::HeartBeat.code() {
            if let Ok(hb) = serde_json::from_slice::<HeartbeatData>(&req.body) {
                self.clients
                    .lock()
                    .unwrap()
                    .insert(hb.client_id, ch.clone());
            }
        }
        for rule in self.rules.lock().unwrap().iter() {
            if let Some(resp) = rule(&req) {
                return (!req.is_oneway()).then_some(resp);
            }
        }
        let up = self
            .upstreams
            .lock()
            .unwrap()
            .entry(ch.id())
            .or_insert_with(|| {
                RemotingClient::new(Arc::new(Back {
                    downstream: ch.clone(),
                }))
            })
            .clone();
        if req.is_oneway() {
            let _ = up.invoke_oneway(&self.upstream, copy(&req)).await;
            return None;
        }
        let mut resp = match up
            .invoke(&self.upstream, copy(&req), Duration::from_secs(60))
            .await
        {
            Ok(r) => r,
            // The broker is gone: close the client's connection as the broker would.
            Err(_) => {
                ch.close();
                return None;
            }
        };
        resp.opaque = req.opaque;
        if let (Some((from, to)), true) = (
            &self.rewrite,
            req.code == RequestCode::GetRouteinfoByTopic.code(),
        ) {
            let text = String::from_utf8_lossy(&resp.body).replace(from.as_str(), to);
            resp.body = text.into_bytes().into();
        }
        Some(resp)
    }

    fn on_close(&self, ch: &Channel) {
        if let Some(up) = self.upstreams.lock().unwrap().remove(&ch.id()) {
            tokio::spawn(async move { up.close_all().await });
        }
    }
}

/// One proxy listening on 127.0.0.1.
pub struct Proxy {
    inner: Arc<Inner>,
    addr: String,
    server: Option<ServerHandle>,
}

impl Proxy {
    async fn start(upstream: String, rewrite: Option<(String, String)>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let inner = Arc::new(Inner {
            upstream,
            rewrite,
            rules: Mutex::default(),
            seen: Mutex::default(),
            clients: Mutex::default(),
            upstreams: Mutex::default(),
        });
        let server = serve(listener, inner.clone(), std::future::pending());
        Proxy {
            inner,
            addr,
            server: Some(server),
        }
    }

    /// `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Answers matching requests with the rule's response instead of forwarding them.
    pub fn add_rule(&self, rule: Rule) {
        self.inner.rules.lock().unwrap().push(rule);
    }

    /// Requests seen with `code`.
    pub fn seen(&self, code: RequestCode) -> Vec<Seen> {
        self.inner
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.code == code.code())
            .cloned()
            .collect()
    }

    /// The connection a client (by client id) heartbeats on.
    pub fn client_channel(&self, client_id: &str) -> Option<Channel> {
        self.inner.clients.lock().unwrap().get(client_id).cloned()
    }

    async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        let ups: Vec<_> = self.inner.upstreams.lock().unwrap().drain().collect();
        for (_, up) in ups {
            up.close_all().await;
        }
    }
}

/// An embedded broker whose clients go through a broker proxy.
pub struct Proxied {
    pub broker: EmbeddedBroker,
    pub namesrv: Proxy,
    pub proxy: Proxy,
}

impl Proxied {
    /// Starts the broker and both proxies.
    pub async fn start(cfg: EmbeddedConfig) -> Proxied {
        let broker = EmbeddedBroker::start_with(cfg).await.unwrap();
        let proxy = Proxy::start(broker.broker_addr().to_string(), None).await;
        let namesrv = Proxy::start(
            broker.namesrv_addr().to_string(),
            Some((broker.broker_addr().to_string(), proxy.addr().to_owned())),
        )
        .await;
        Proxied {
            broker,
            namesrv,
            proxy,
        }
    }

    /// The name server address clients use (the rewriting proxy).
    pub fn ns(&self) -> String {
        self.namesrv.addr().to_owned()
    }

    /// The real name server (no proxy).
    pub fn direct_ns(&self) -> String {
        self.broker.namesrv_addr().to_string()
    }

    /// Stops the proxies and the broker.
    pub async fn shutdown(mut self) {
        self.proxy.stop().await;
        self.namesrv.stop().await;
        self.broker.shutdown().await;
    }
}
