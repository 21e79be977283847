//! Where a data set's webhooks go ([`WebhookTargets`]: the post-call and pre-call URLs and which directions get
//! the pre-call request), and which URLs the mock will send to at all.

use openmic_fixtures::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The longest webhook URL accepted.
pub const MAX_URL_BYTES: usize = 2048;

/// Which calls get the pre-call webhook, by direction (the vendor's `webhook_direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionFilter {
    /// Inbound calls only.
    Inbound,
    /// Outbound calls only.
    Outbound,
    /// Both (the default).
    #[default]
    Both,
}

impl DirectionFilter {
    /// Whether a call of `direction` gets the pre-call webhook.
    pub fn matches(self, direction: Direction) -> bool {
        match self {
            DirectionFilter::Both => true,
            DirectionFilter::Inbound => direction == Direction::Inbound,
            DirectionFilter::Outbound => direction == Direction::Outbound,
        }
    }

    /// `inbound`, `outbound` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectionFilter::Inbound => "inbound",
            DirectionFilter::Outbound => "outbound",
            DirectionFilter::Both => "both",
        }
    }
}

impl std::str::FromStr for DirectionFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "inbound" => Ok(DirectionFilter::Inbound),
            "outbound" => Ok(DirectionFilter::Outbound),
            "both" => Ok(DirectionFilter::Both),
            other => Err(format!(
                "webhook direction must be inbound, outbound or both, got {:?}",
                crate::text::shown(other)
            )),
        }
    }
}

/// Where one data set's webhooks go. Only these URLs (and a created call's `callback_url`) are ever called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTargets {
    /// Where `end-of-call-report`s go.
    #[serde(default)]
    pub post_call_url: Option<String>,
    /// Where pre-call requests go.
    #[serde(default)]
    pub pre_call_url: Option<String>,
    /// Which calls get the pre-call webhook.
    #[serde(default)]
    pub direction: DirectionFilter,
}

impl WebhookTargets {
    /// Every problem with the URLs, each naming its field; empty when both can be called.
    pub fn problems(&self) -> Vec<String> {
        [
            ("post_call_url", &self.post_call_url),
            ("pre_call_url", &self.pre_call_url),
        ]
        .into_iter()
        .filter_map(|(field, url)| {
            let url = url.as_deref()?;
            check_url(url).err().map(|why| format!("{field}: {why}"))
        })
        .collect()
    }

    /// The configuration as the admin API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "post_call_url": self.post_call_url,
            "pre_call_url": self.pre_call_url,
            "direction": self.direction.as_str(),
        })
    }
}

/// Whether the mock can call `url`: an absolute `http://` URL with a host (`https://` too when built with the
/// `tls` feature), at most [`MAX_URL_BYTES`] long.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!("longer than {MAX_URL_BYTES} bytes"));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("{:?} is not an absolute URL ({e})", crate::text::shown(url)))?;
    match parsed.scheme() {
        "http" => {}
        "https" if cfg!(feature = "tls") => {}
        "https" => {
            return Err(format!(
                "{:?} needs HTTPS, which this build lacks (build with --features tls)",
                crate::text::shown(url)
            ));
        }
        other => {
            return Err(format!(
                "{:?} has scheme {other:?}; expected http or https",
                crate::text::shown(url)
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{:?} has no host", crate::text::shown(url)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_with_a_host_are_accepted() {
        assert!(check_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(check_url("http://receiver.test/x?y=1").is_ok());
        for (url, why) in [
            ("/relative", "not an absolute URL"),
            ("ftp://host/x", "scheme \"ftp\""),
            ("file:///etc/passwd", "scheme \"file\""),
            ("http://", "not an absolute URL"),
        ] {
            let err = check_url(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
        let long = format!("http://h/{}", "a".repeat(MAX_URL_BYTES));
        assert!(check_url(&long).unwrap_err().contains("longer than"));
        let exact = format!("http://h/{}", "a".repeat(MAX_URL_BYTES - 9));
        assert_eq!(exact.len(), MAX_URL_BYTES);
        assert!(check_url(&exact).is_ok());
        #[cfg(not(feature = "tls"))]
        assert!(
            check_url("https://h/x")
                .unwrap_err()
                .contains("--features tls")
        );
    }

    #[test]
    fn a_config_names_each_bad_url() {
        let config = WebhookTargets {
            post_call_url: Some("nope".into()),
            pre_call_url: Some("ftp://x/".into()),
            direction: DirectionFilter::Both,
        };
        let problems = config.problems();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("post_call_url: "));
        assert!(problems[1].starts_with("pre_call_url: "));
        assert!(WebhookTargets::default().problems().is_empty());
    }

    #[test]
    fn directions_filter_pre_calls() {
        use DirectionFilter::*;
        assert!(Both.matches(Direction::Inbound) && Both.matches(Direction::Outbound));
        assert!(Inbound.matches(Direction::Inbound) && !Inbound.matches(Direction::Outbound));
        assert!(Outbound.matches(Direction::Outbound) && !Outbound.matches(Direction::Inbound));
        for d in [Inbound, Outbound, Both] {
            assert_eq!(d.as_str().parse::<DirectionFilter>(), Ok(d));
        }
        assert!("Both".parse::<DirectionFilter>().is_err());
    }
}
