//! Where the API is, whether it is the local stack's, and, for the local stack's env file, the
//! credentials and region it names for signing.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use reqwest::Url;

#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The base URL; the API's paths (`/stacks`, ...) are appended to its path.
    pub base: Url,
    /// A loopback address: the local stack.
    pub local: bool,
    /// Where the URL came from, for messages.
    pub source: String,
    /// The credentials (and region) an env file names beside the URL.
    pub local_credentials: Option<LocalCredentials>,
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`, `AWS_REGION`) of the
/// local stack's env file.
#[derive(Debug, Clone)]
pub struct LocalCredentials {
    pub credentials: aws_credential_types::Credentials,
    pub region: Option<String>,
}

/// What the endpoint is found from, besides the process environment of `lookup`.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--endpoint` or EDGESTACK_ENDPOINT.
    pub endpoint: Option<String>,
    /// `--env-file` or EDGESTACK_ENV_FILE.
    pub env_file: Option<PathBuf>,
}

/// The endpoint, from the first of: `--endpoint`, `--env-file`, `STACKS_API_URL`, `.local/env` in
/// `cwd` or one of its parents.
pub fn resolve(
    sources: &Sources,
    lookup: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<Endpoint, String> {
    if let Some(url) = &sources.endpoint {
        return parse(url, "--endpoint");
    }
    if let Some(path) = &sources.env_file {
        return from_env_file(path);
    }
    if let Some(url) = lookup("STACKS_API_URL").filter(|u| !u.is_empty()) {
        return parse(&url, "STACKS_API_URL");
    }
    if let Some(path) = local_env_file(cwd) {
        return from_env_file(&path);
    }
    Err(
        "no endpoint: pass --endpoint URL (or set EDGESTACK_ENDPOINT) for a deployed API; for the \
         local stack, run this inside the repository after `make up`, or pass --env-file"
            .into(),
    )
}

/// `.local/env` in `cwd` or the nearest of its parents that has one.
fn local_env_file(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .map(|dir| dir.join(".local/env"))
        .find(|path| path.is_file())
}

/// The local data plane (`EDGE_URL`), where a local stack's distributions answer: from the
/// environment, else from the env file the endpoint would be read from.
pub fn edge_url(
    sources: &Sources,
    lookup: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Option<String> {
    if let Some(url) = lookup("EDGE_URL").filter(|u| !u.is_empty()) {
        return Some(url);
    }
    let path = sources.env_file.clone().or_else(|| local_env_file(cwd))?;
    let text = std::fs::read_to_string(path).ok()?;
    parse_env_file(&text)
        .remove("EDGE_URL")
        .filter(|u| !u.is_empty())
}

fn from_env_file(path: &Path) -> Result<Endpoint, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} ({e}); is the local stack up (`make up`)?",
            path.display()
        )
    })?;
    let vars = parse_env_file(&text);
    let mut endpoint = match vars.get("STACKS_API_URL") {
        Some(url) if !url.is_empty() => parse(url, &path.display().to_string())?,
        _ => return Err(format!("{} has no STACKS_API_URL", path.display())),
    };
    let named = |key: &str| vars.get(key).filter(|v| !v.is_empty()).cloned();
    if let (Some(key), Some(secret)) = (named("AWS_ACCESS_KEY_ID"), named("AWS_SECRET_ACCESS_KEY"))
    {
        endpoint.local_credentials = Some(LocalCredentials {
            credentials: aws_credential_types::Credentials::new(
                key,
                secret,
                named("AWS_SESSION_TOKEN"),
                None,
                "edgestack-env-file",
            ),
            region: named("AWS_REGION"),
        });
    }
    Ok(endpoint)
}

/// `KEY=VALUE` lines as a shell would source them (comments, an `export ` prefix, quotes), read
/// by `dotenvy`; a line it cannot read is left out.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    dotenvy::from_read_iter(text.as_bytes())
        .filter_map(Result::ok)
        .collect()
}

fn parse(raw: &str, source: &str) -> Result<Endpoint, String> {
    let base =
        Url::parse(raw.trim()).map_err(|e| format!("{source}: {raw:?} is not a URL ({e})"))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(format!("{source}: {raw:?} is not an http(s) URL"));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(format!(
            "{source}: {raw:?} must not have a query or a fragment"
        ));
    }
    let local = match base.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(format!("{source}: {raw:?} has no host")),
    };
    Ok(Endpoint {
        base,
        local,
        source: source.to_owned(),
        local_credentials: None,
    })
}

impl Endpoint {
    /// The URL of the API path made of `segments` (each percent-encoded as one segment).
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("the base was checked to be a base URL");
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// The region a deployed API's host names: `{api}.execute-api.{region}.amazonaws.com`.
    pub fn region_from_host(&self) -> Option<String> {
        let host = self.base.host_str()?;
        let mut labels = host.split('.');
        let (_, service, region) = (labels.next()?, labels.next()?, labels.next()?);
        (service == "execute-api" && !region.is_empty()).then(|| region.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "edgestack-cli-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_endpoint_flag_wins() {
        let sources = Sources {
            endpoint: Some("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod".into()),
            env_file: Some("/nonexistent".into()),
        };
        let env = |_: &str| Some("http://127.0.0.1:9/api".to_owned());
        let endpoint = resolve(&sources, &env, Path::new("/")).unwrap();
        assert!(!endpoint.local);
        assert_eq!(endpoint.region_from_host().as_deref(), Some("eu-west-1"));
        assert_eq!(
            endpoint.url(&["stacks", "stk_x"]).as_str(),
            "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/stacks/stk_x"
        );
    }

    #[test]
    fn loopback_hosts_are_the_local_stack() {
        for (url, local) in [
            ("http://127.0.0.1:8080/restapis/a1/v1/_user_request_", true),
            ("http://localhost:8080", true),
            ("http://[::1]:8080/", true),
            ("https://api.example.com/prod", false),
            ("http://10.0.0.1/", false),
        ] {
            let endpoint = parse(url, "test").unwrap();
            assert_eq!(endpoint.local, local, "{url}");
        }
        for bad in ["ftp://x/", "not a url", "http://x/?a=b", "mailto:a@b"] {
            assert!(parse(bad, "test").is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn paths_are_appended_segment_by_segment() {
        let endpoint = parse("http://127.0.0.1:1/restapis/a1/v1/_user_request_/", "test").unwrap();
        assert_eq!(
            endpoint.url(&["stacks"]).as_str(),
            "http://127.0.0.1:1/restapis/a1/v1/_user_request_/stacks"
        );
        // An id can never reach another path.
        assert_eq!(
            endpoint.url(&["stacks", "../x?y"]).as_str(),
            "http://127.0.0.1:1/restapis/a1/v1/_user_request_/stacks/..%2Fx%3Fy"
        );
        assert_eq!(endpoint.region_from_host(), None);
    }

    #[test]
    fn the_env_file_is_found_upwards_after_the_variable() {
        let root = temp_dir("up");
        std::fs::create_dir_all(root.join(".local")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(
            root.join(".local/env"),
            "# written by up.sh\nexport STACKS_API_URL=\"http://127.0.0.1:4242/restapis/a1/v1/_user_request_\"\nAWS_REGION=us-east-1\nAWS_ACCESS_KEY_ID=testing\nAWS_SECRET_ACCESS_KEY=testing\n",
        )
        .unwrap();
        let found = resolve(&Sources::default(), &no_env, &root.join("a/b")).unwrap();
        assert_eq!(
            found.base.as_str(),
            "http://127.0.0.1:4242/restapis/a1/v1/_user_request_"
        );
        assert!(found.local);
        let signing = found
            .local_credentials
            .as_ref()
            .expect("the file's credentials");
        assert_eq!(signing.credentials.access_key_id(), "testing");
        assert_eq!(signing.region.as_deref(), Some("us-east-1"));
        assert!(found.source.ends_with(".local/env"), "{}", found.source);

        let env = |key: &str| (key == "STACKS_API_URL").then(|| "http://127.0.0.1:1/x".to_owned());
        let from_var = resolve(&Sources::default(), &env, &root).unwrap();
        assert_eq!(from_var.source, "STACKS_API_URL");
        assert!(
            from_var.local_credentials.is_none(),
            "only an env file names credentials"
        );

        let explicit = Sources {
            endpoint: None,
            env_file: Some(root.join(".local/env")),
        };
        assert_eq!(
            resolve(&explicit, &env, Path::new("/")).unwrap().base,
            found.base
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn no_endpoint_says_what_to_do() {
        let dir = temp_dir("none");
        let err = resolve(&Sources::default(), &no_env, &dir).unwrap_err();
        assert!(err.contains("--endpoint"), "{err}");
        let missing = Sources {
            endpoint: None,
            env_file: Some(dir.join("nope")),
        };
        assert!(resolve(&missing, &no_env, &dir)
            .unwrap_err()
            .contains("make up"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
