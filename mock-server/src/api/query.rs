//! The `GET /v1/calls` query string, parsed in two stages.
//!
//! [`ListCallsQuery`] mirrors the wire: every `name=value` pair, decoded, in order, repeats kept.
//! `TryFrom<ListCallsQuery> for ListCallsParams` applies the contract's rules (`docs/contract.md`) and yields
//! either parameters the rest of the mock trusts, or every broken rule at once, each naming the parameter.

use std::collections::{BTreeSet, HashSet};

use openmic_fixtures::{CallStatus, CallType};

use crate::instant::parse_rfc3339_millis;
use crate::text::{shown, shown_name};

/// One rejected query parameter: which one and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name as sent.
    pub param: String,
    /// The rule, phrased to complete "`param` ...", including what was received.
    pub rule: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.param, self.rule)
    }
}

/// The largest `limit` the vendor accepts.
pub const MAX_LIMIT: u32 = 100;
/// The `limit` when none is given (the vendor's v2 documentation: "default 50").
pub const DEFAULT_LIMIT: u32 = 50;

/// The parameters `GET /v1/calls` understands, in the order the vendor documents them.
pub const KNOWN_PARAMS: [&str; 10] = [
    "limit",
    "offset",
    "customer_id",
    "from_number",
    "to_number",
    "bot_id",
    "from_date",
    "to_date",
    "call_status",
    "call_type",
];

/// The query string as sent: decoded `(name, value)` pairs in order, repeats kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCallsQuery {
    /// The pairs. A bare `name` (no `=`) has an empty value.
    pub pairs: Vec<(String, String)>,
}

impl ListCallsQuery {
    /// Decodes a raw query string (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte).
    /// Bytes that are not UTF-8 after decoding become U+FFFD, so they never match a filter value.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }
}

/// A validated List Calls request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCallsParams {
    /// Page size, 1..=100.
    pub limit: u32,
    /// Matches to skip. An offset sent larger than `u64::MAX` is `u64::MAX` here (past the end of any data
    /// set) and kept as sent in [`ListCallsParams::offset_sent`].
    pub offset: u64,
    /// The offset's digits as sent (leading zeros dropped) when it is larger than `u64::MAX`, for the
    /// `pagination.offset` of the answer: the vendor's schema says only "integer, minimum 0".
    pub offset_sent: Option<String>,
    /// `to_date` as sent, when it was a bare date (`2025-11-30`): read as midnight at the start of that day,
    /// which leaves that day's calls out, so the answer warns about it.
    pub bare_to_date: Option<String>,
    /// Exact `call_status`.
    pub call_status: Option<CallStatus>,
    /// Exact `call_type`.
    pub call_type: Option<CallType>,
    /// Exact, case-sensitive `customer_id`.
    pub customer_id: Option<String>,
    /// Exact, case-sensitive `from_number`.
    pub from_number: Option<String>,
    /// Exact, case-sensitive `to_number`.
    pub to_number: Option<String>,
    /// Exact, case-sensitive `agent_id` (the vendor calls the filter `bot_id`).
    pub bot_id: Option<String>,
    /// Inclusive lower bound on `start_timestamp`, Unix milliseconds (negative before 1970).
    pub from_date: Option<i64>,
    /// Inclusive upper bound on `start_timestamp`, Unix milliseconds.
    pub to_date: Option<i64>,
    /// Names of parameters the API does not know, in order of first appearance; ignored, but reported.
    pub unknown: Vec<String>,
}

impl Default for ListCallsParams {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
            offset_sent: None,
            bare_to_date: None,
            call_status: None,
            call_type: None,
            customer_id: None,
            from_number: None,
            to_number: None,
            bot_id: None,
            from_date: None,
            to_date: None,
            unknown: Vec::new(),
        }
    }
}

impl TryFrom<ListCallsQuery> for ListCallsParams {
    type Error = Vec<ParamError>;

    fn try_from(query: ListCallsQuery) -> Result<Self, Self::Error> {
        let mut params = ListCallsParams::default();
        let mut errors = Vec::new();
        let mut seen = BTreeSet::new();
        let mut repeated = BTreeSet::new();
        // A set beside the ordered list: a URL with thousands of distinct unknown names stays linear.
        let mut unknown_seen = HashSet::new();
        let mut reject = |param: &str, rule: String| {
            errors.push(ParamError {
                param: param.to_string(),
                rule,
            })
        };

        for (name, value) in query.pairs {
            if !KNOWN_PARAMS.contains(&name.as_str()) {
                if unknown_seen.insert(name.clone()) {
                    params.unknown.push(name);
                }
                continue;
            }
            if !seen.insert(name.clone()) {
                // Reported once per parameter, however many times it repeats.
                if repeated.insert(name.clone()) {
                    reject(
                        &name,
                        "is given more than once; send each parameter at most once".into(),
                    );
                }
                continue;
            }
            match name.as_str() {
                "limit" => match parse_limit(&value) {
                    Ok(limit) => params.limit = limit,
                    Err(rule) => reject(&name, rule),
                },
                "offset" => match parse_offset(&value) {
                    Ok((offset, beyond)) => {
                        params.offset = offset;
                        params.offset_sent = beyond;
                    }
                    Err(rule) => reject(&name, rule),
                },
                "call_status" => match CallStatus::from_wire(&value) {
                    Some(status) => params.call_status = Some(status),
                    None => reject(&name, enum_rule(&CallStatus::choices(), &value)),
                },
                "call_type" => match CallType::from_wire(&value) {
                    Some(kind) => params.call_type = Some(kind),
                    None => reject(&name, enum_rule(&CallType::choices(), &value)),
                },
                "from_date" | "to_date" => match parse_date(&value) {
                    Ok(ms) if name == "from_date" => params.from_date = Some(ms),
                    Ok(ms) => {
                        params.to_date = Some(ms);
                        if value.len() == 10 {
                            params.bare_to_date = Some(value);
                        }
                    }
                    Err(rule) => reject(&name, rule),
                },
                "customer_id" => params.customer_id = non_empty(value),
                "from_number" => params.from_number = non_empty(value),
                "to_number" => params.to_number = non_empty(value),
                "bot_id" => params.bot_id = non_empty(value),
                _ => unreachable!("every name in KNOWN_PARAMS is handled above"),
            }
        }

        if errors.is_empty() {
            Ok(params)
        } else {
            Err(errors)
        }
    }
}

impl ListCallsParams {
    /// Things the request probably got wrong without breaking a rule: unknown parameters (ignored), and phone
    /// number filters that start with a space, which is what an unencoded `+` decodes to. Answered in the
    /// `X-Mock-Warning` header; the request itself is served as the rules say.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.unknown.is_empty() {
            warnings.push(format!(
                "ignored unknown query parameters: {}",
                first_names(&self.unknown)
            ));
        }
        if let Some(day) = &self.bare_to_date {
            warnings.push(format!(
                "to_date={day} is read as {day}T00:00:00Z, the start of that day, so calls on {day} are left \
                 out; to include them send to_date={day}T23:59:59.999Z"
            ));
        }
        for (name, value) in [
            ("from_number", &self.from_number),
            ("to_number", &self.to_number),
        ] {
            if value.as_deref().is_some_and(|v| v.starts_with(' ')) {
                warnings.push(format!(
                    "{name} starts with a space, which is what an unencoded '+' decodes to: send '+' as %2B"
                ));
            }
        }
        warnings
    }
}

/// How many unknown parameter names a warning or a strict-mode 400 names before it counts the rest.
pub const MAX_NAMED_UNKNOWN: usize = 10;

/// The first [`MAX_NAMED_UNKNOWN`] names, each shown clipped, then how many more: a URL with thousands of
/// names still gets a header short enough for any HTTP client (Node's default limit is 16 KiB).
pub(crate) fn first_names(names: &[String]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(MAX_NAMED_UNKNOWN)
        .map(|name| shown_name(name))
        .collect();
    if names.len() > MAX_NAMED_UNKNOWN {
        shown.push(format!("and {} more", names.len() - MAX_NAMED_UNKNOWN));
    }
    shown.join(", ")
}

/// An empty string filter means "not given" (clients often send `customer_id=` for "any").
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn enum_rule(choices: &str, value: &str) -> String {
    format!(
        "must be one of {choices} (exact, lowercase), got {}",
        shown(value)
    )
}

/// Plain ASCII digits only: no sign, no spaces, no decimal point, no exponent.
fn parse_digits(value: &str) -> Option<Option<u64>> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())).then(|| value.parse().ok())
}

pub(crate) fn parse_limit(value: &str) -> Result<u32, String> {
    let rule = || {
        format!(
            "must be an integer from 1 to {MAX_LIMIT}, got {}",
            shown(value)
        )
    };
    match parse_digits(value) {
        Some(Some(n)) if (1..=u64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(rule()),
    }
}

/// The offset, and its digits when it is larger than `u64::MAX` (then the offset is `u64::MAX`).
pub(crate) fn parse_offset(value: &str) -> Result<(u64, Option<String>), String> {
    match parse_digits(value) {
        Some(Some(n)) => Ok((n, None)),
        Some(None) => {
            let digits = value.trim_start_matches('0');
            Ok((u64::MAX, Some(digits.to_string())))
        }
        None => Err(format!(
            "must be a non-negative integer, got {}",
            shown(value)
        )),
    }
}

const DATE_RULE: &str = "must be an RFC 3339 date-time such as 2026-01-31T09:30:00Z or \
2026-01-31T09:30:00.250+01:00, or a date such as 2026-01-31 (midnight UTC)";

pub(crate) fn parse_date(value: &str) -> Result<i64, String> {
    parse_rfc3339_millis(value).map_err(|why| {
        let hint = if value.contains(' ') && !value.contains('+') {
            " (a '+' in a query string means a space: send an offset's '+' as %2B)"
        } else {
            ""
        };
        format!("{DATE_RULE}, got {} ({why}){hint}", shown(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Result<ListCallsParams, Vec<ParamError>> {
        ListCallsParams::try_from(ListCallsQuery::parse(Some(q)))
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        assert_eq!(params("").unwrap(), ListCallsParams::default());
        assert_eq!(ListCallsParams::default().limit, 50);
    }

    #[test]
    fn accepts_limits_1_and_100_and_rejects_everything_else() {
        assert_eq!(params("limit=1").unwrap().limit, 1);
        assert_eq!(params("limit=100").unwrap().limit, 100);
        assert_eq!(params("limit=007").unwrap().limit, 7);
        for bad in [
            "0",
            "101",
            "-1",
            "1.5",
            "%2B5",
            "1e2",
            "%205",
            "5%20",
            "",
            "abc",
            "99999999999999999999999",
            "0x10",
            "５",
        ] {
            let err = params(&format!("limit={bad}")).unwrap_err();
            assert_eq!(err.len(), 1, "{bad}");
            assert_eq!(err[0].param, "limit");
            assert!(
                err[0].rule.contains("from 1 to 100"),
                "{bad}: {}",
                err[0].rule
            );
        }
    }

    #[test]
    fn offset_accepts_any_non_negative_integer() {
        assert_eq!(params("offset=0").unwrap().offset, 0);
        assert_eq!(
            params("offset=18446744073709551615").unwrap().offset,
            u64::MAX
        );
        // Past u64: accepted, served as past the end, and its digits kept for the answer.
        let huge = params("offset=000496931110730126925496320").unwrap();
        assert_eq!(huge.offset, u64::MAX);
        assert_eq!(
            huge.offset_sent.as_deref(),
            Some("496931110730126925496320")
        );
        assert_eq!(params("offset=42").unwrap().offset_sent, None);
        for bad in ["-1", "1.0", "", "%2B1", "1e3"] {
            assert_eq!(
                params(&format!("offset={bad}")).unwrap_err()[0].param,
                "offset",
                "{bad}"
            );
        }
    }

    #[test]
    fn enums_are_exact_lowercase() {
        assert_eq!(
            params("call_status=ended").unwrap().call_status,
            Some(CallStatus::Ended)
        );
        assert_eq!(
            params("call_type=webcall").unwrap().call_type,
            Some(CallType::Web)
        );
        for bad in [
            "call_status=Ended",
            "call_status=",
            "call_status=ended%20",
            "call_type=phone_call",
            "call_type=PHONECALL",
        ] {
            assert!(params(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repeated_parameters_are_rejected_once_each() {
        let err =
            params("limit=5&limit=5&limit=6&call_type=webcall&call_type=webcall").unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(
            (err[0].param.as_str(), err[1].param.as_str()),
            ("limit", "call_type")
        );
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let err = params("limit=0&offset=-1&call_type=x&from_date=yesterday").unwrap_err();
        let names: Vec<_> = err.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(names, ["limit", "offset", "call_type", "from_date"]);
    }

    #[test]
    fn empty_string_filters_mean_not_given() {
        let p = params("customer_id=&from_number=&to_number=&bot_id=").unwrap();
        assert_eq!(p, ListCallsParams::default());
    }

    #[test]
    fn unknown_parameters_are_collected_not_rejected() {
        let p = params("page=2&agent_id=a&page=3").unwrap();
        assert_eq!(p.unknown, ["page", "agent_id"]);
    }

    #[test]
    fn an_unencoded_plus_in_a_date_gets_a_hint() {
        let err = params("from_date=2026-01-01T00:00:00+01:00").unwrap_err();
        assert!(err[0].rule.contains("%2B"), "{}", err[0].rule);
        // Only a space that an unencoded '+' could have made gets it.
        for bad in ["yesterday", "2026-01-01T00:00:00%2B01:00 x"] {
            let err = params(&format!("from_date={bad}")).unwrap_err();
            assert!(!err[0].rule.contains("%2B"), "{bad}: {}", err[0].rule);
        }
    }
}
