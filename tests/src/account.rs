//! The strict account's own control API (`/strict-api/` on `AWS_ENDPOINT_URL`, never AWS's):
//! faults injected at run time, for the tests that stage an unreliable AWS.

use serde_json::json;

use crate::LocalEnv;

pub struct StrictAccount {
    base: String,
    http: reqwest::Client,
}

impl StrictAccount {
    pub fn get() -> Self {
        Self {
            base: LocalEnv::get()
                .aws_endpoint_url
                .trim_end_matches('/')
                .to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Throttles `share` (0 to 1) of the calls to each of `operations` (`service:Operation`,
    /// `service:*`), with the service's own throttling error.
    pub async fn throttle(&self, operations: &[&str], share: f64) {
        let faults: Vec<_> = operations
            .iter()
            .map(|op| json!({"operation": op, "throttle": share}))
            .collect();
        self.post_faults(json!({ "faults": faults })).await;
    }

    /// Holds every answer to each of `operations` back for `seconds`, as a slow AWS would.
    pub async fn slow_down(&self, operations: &[&str], seconds: f64) {
        let faults: Vec<_> = operations
            .iter()
            .map(|op| json!({"operation": op, "delay_seconds": seconds}))
            .collect();
        self.post_faults(json!({ "faults": faults })).await;
    }

    /// Lets `share` of the calls to each of `operations` take effect and then answers 503, as
    /// an answer lost on the way back looks to the caller.
    pub async fn lose_answers(&self, operations: &[&str], share: f64) {
        let faults: Vec<_> = operations
            .iter()
            .map(|op| json!({"operation": op, "lose_answer": share}))
            .collect();
        self.post_faults(json!({ "faults": faults })).await;
    }

    /// Runs `body` under the faults injected before it, and clears them afterwards, also when
    /// `body` panics: a failed test must not leave the account faulty for the next.
    pub async fn clearing_faults_after<T>(&self, body: impl std::future::Future<Output = T>) -> T {
        use futures::FutureExt;
        let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
        self.clear_faults().await;
        outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// No injected faults any more.
    pub async fn clear_faults(&self) {
        let url = format!("{}/strict-api/faults", self.base);
        let reply = self
            .http
            .delete(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DELETE {url}: {e}"));
        assert!(
            reply.status().is_success(),
            "DELETE {url}: {}",
            reply.status()
        );
    }

    async fn post_faults(&self, body: serde_json::Value) {
        let url = format!("{}/strict-api/faults", self.base);
        let reply = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        assert!(
            reply.status().is_success(),
            "POST {url}: {}",
            reply.status()
        );
    }

    /// Counts from zero the calls the account sees (`calls`).
    pub async fn reset_calls(&self) {
        let url = format!("{}/strict-api/calls", self.base);
        let reply = self
            .http
            .delete(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DELETE {url}: {e}"));
        assert!(
            reply.status().is_success(),
            "DELETE {url}: {}",
            reply.status()
        );
    }

    /// Per `service:Operation` since `reset_calls`: the calls the account saw, and those its
    /// own rate limits refused (`{"calls": {..}, "rate_limited": {..}}`).
    pub async fn calls(&self) -> serde_json::Value {
        let url = format!("{}/strict-api/calls", self.base);
        let reply = self
            .http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert!(reply.status().is_success(), "GET {url}: {}", reply.status());
        reply.json().await.expect("the account's counts")
    }
}
