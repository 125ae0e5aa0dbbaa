//! GraphQL over HTTP for the load generator: JSON and multipart requests, with failures reduced
//! to the error code they carry.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A failure as counted in the summary: the GraphQL `extensions.code`, `HTTP_<status>`,
/// `TIMEOUT`, `TRANSPORT` or `BAD_RESPONSE`.
pub type Code = String;

/// One gridloop endpoint.
#[derive(Clone)]
pub struct Gql {
    http: reqwest::Client,
    endpoint: String,
}

impl Gql {
    pub fn new(base: &str, pool: usize) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .timeout(std::time::Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Gql {
            http,
            endpoint: format!("{}/graphql", base.trim_end_matches('/')),
        })
    }

    /// A JSON request; `data` on success.
    pub async fn post(&self, token: Option<&str>, query: &str, vars: Value) -> Result<Value, Code> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .json(&json!({"query": query, "variables": vars}));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        outcome(req.send().await).await
    }

    /// A multipart request (GraphQL multipart spec) with PNG files at the given variable paths.
    pub async fn multipart(
        &self,
        token: &str,
        query: &str,
        vars: Value,
        files: Vec<(&str, Vec<u8>)>,
    ) -> Result<Value, Code> {
        let map: serde_json::Map<String, Value> = files
            .iter()
            .enumerate()
            .map(|(i, (path, _))| (i.to_string(), json!([path])))
            .collect();
        let mut form = Form::new()
            .text(
                "operations",
                json!({"query": query, "variables": vars}).to_string(),
            )
            .text("map", Value::Object(map).to_string());
        for (i, (_, bytes)) in files.into_iter().enumerate() {
            let part = Part::bytes(bytes)
                .file_name(format!("photo{i}.png"))
                .mime_str("image/png")
                .map_err(|_| "BAD_REQUEST".to_string())?;
            form = form.part(i.to_string(), part);
        }
        let req = self
            .http
            .post(&self.endpoint)
            .bearer_auth(token)
            .multipart(form);
        outcome(req.send().await).await
    }
}

async fn outcome(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Value, Code> {
    let resp = sent.map_err(|e| {
        if e.is_timeout() {
            "TIMEOUT".to_string()
        } else {
            "TRANSPORT".to_string()
        }
    })?;
    let status = resp.status();
    let body: Value = match resp.json().await {
        Ok(body) => body,
        Err(_) if !status.is_success() => return Err(format!("HTTP_{}", status.as_u16())),
        Err(_) => return Err("BAD_RESPONSE".into()),
    };
    if let Some(first) = body["errors"].as_array().and_then(|e| e.first()) {
        return Err(first["extensions"]["code"]
            .as_str()
            .unwrap_or("UNKNOWN")
            .to_string());
    }
    if !status.is_success() {
        return Err(format!("HTTP_{}", status.as_u16()));
    }
    Ok(body["data"].clone())
}

/// Logs in; the bearer token.
pub async fn login(gql: &Gql, email: &str, password: &str) -> Result<String, String> {
    let data = gql
        .post(
            None,
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
            json!({"e": email, "p": password}),
        )
        .await
        .map_err(|code| format!("login {email}: {code}"))?;
    data["login"]["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("login {email}: no token"))
}
