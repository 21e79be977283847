//! The query strings of `GET /v1/bots` and `GET /v1/phone-numbers`, read by the rules of `GET /v1/calls`
//! (`docs/contract.md`): `limit` 1..=100 (default 50), `offset` >= 0 of any size, a known parameter given twice
//! is a 400, unknown ones are ignored and named in a warning, an empty value means "not given", and every
//! broken rule is named at once.

use std::collections::{BTreeSet, HashSet};

use crate::api::query::{
    DEFAULT_LIMIT, ListCallsQuery, MAX_NAMED_UNKNOWN, ParamError, first_names, non_empty,
    parse_date, parse_limit, parse_offset,
};
use crate::text::shown_name;

/// Where a page starts and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParams {
    /// Page size, 1..=100.
    pub limit: u32,
    /// Matches to skip (`u64::MAX` for an offset sent larger than that).
    pub offset: u64,
    /// The offset's digits as sent, when larger than `u64::MAX`.
    pub offset_sent: Option<String>,
}

impl Default for PageParams {
    fn default() -> Self {
        PageParams {
            limit: DEFAULT_LIMIT,
            offset: 0,
            offset_sent: None,
        }
    }
}

/// The parameters `GET /v1/bots` understands, in the vendor's order.
pub const BOT_PARAMS: [&str; 5] = ["limit", "offset", "name", "created_after", "created_before"];

/// The parameters `GET /v1/phone-numbers` understands, in the vendor's order.
pub const PHONE_NUMBER_PARAMS: [&str; 4] = ["limit", "offset", "phone_number", "name"];

/// A validated List Bots request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBotsParams {
    /// The page.
    pub page: PageParams,
    /// A case-insensitive part of the name.
    pub name: Option<String>,
    /// Only bots created strictly after this instant (Unix ms).
    pub created_after: Option<i64>,
    /// Only bots created strictly before this instant (Unix ms).
    pub created_before: Option<i64>,
    /// Parameters the API does not know, in order of first appearance.
    pub unknown: Vec<String>,
}

/// A validated List Phone Numbers request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListNumbersParams {
    /// The page.
    pub page: PageParams,
    /// A part of the E.164 number, as sent.
    pub phone_number: Option<String>,
    /// A case-insensitive part of the friendly name.
    pub name: Option<String>,
    /// Parameters the API does not know, in order of first appearance.
    pub unknown: Vec<String>,
}

impl TryFrom<ListCallsQuery> for ListBotsParams {
    type Error = Vec<ParamError>;

    fn try_from(query: ListCallsQuery) -> Result<Self, Self::Error> {
        let mut params = ListBotsParams::default();
        params.unknown = read(query, &BOT_PARAMS, &mut params.page, |name, value| {
            match name {
                "name" => params.name = non_empty(value),
                "created_after" => params.created_after = Some(parse_date(&value)?),
                _ => params.created_before = Some(parse_date(&value)?),
            }
            Ok(())
        })?;
        Ok(params)
    }
}

impl TryFrom<ListCallsQuery> for ListNumbersParams {
    type Error = Vec<ParamError>;

    fn try_from(query: ListCallsQuery) -> Result<Self, Self::Error> {
        let mut params = ListNumbersParams::default();
        params.unknown = read(
            query,
            &PHONE_NUMBER_PARAMS,
            &mut params.page,
            |name, value| {
                match name {
                    "phone_number" => params.phone_number = non_empty(value),
                    _ => params.name = non_empty(value),
                }
                Ok(())
            },
        )?;
        Ok(params)
    }
}

impl ListBotsParams {
    /// What the request probably got wrong without breaking a rule, for `X-Mock-Warning`.
    pub fn warnings(&self) -> Vec<String> {
        unknown_warning(&self.unknown).into_iter().collect()
    }
}

impl ListNumbersParams {
    /// What the request probably got wrong without breaking a rule, for `X-Mock-Warning`: unknown
    /// parameters, and a `phone_number` that starts with a space (an unencoded `+`).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = unknown_warning(&self.unknown).into_iter().collect();
        if self
            .phone_number
            .as_deref()
            .is_some_and(|v| v.starts_with(' '))
        {
            warnings.push(
                "phone_number starts with a space, which is what an unencoded '+' decodes to: send '+' \
                 as %2B"
                    .into(),
            );
        }
        warnings
    }
}

/// The strict mode's 400 for unknown parameters of `endpoint` (`GET /v1/calls`): the first
/// [`MAX_NAMED_UNKNOWN`] named, then how many more.
pub(crate) fn strict_errors(unknown: &[String], endpoint: &str) -> Vec<ParamError> {
    let mut rejected: Vec<ParamError> = unknown
        .iter()
        .take(MAX_NAMED_UNKNOWN)
        .map(|name| ParamError {
            param: shown_name(name),
            rule: format!("is not a parameter of {endpoint} (strict mode)"),
        })
        .collect();
    if unknown.len() > MAX_NAMED_UNKNOWN {
        rejected.push(ParamError {
            param: format!("and {} more", unknown.len() - MAX_NAMED_UNKNOWN),
            rule: format!("are not parameters of {endpoint} either"),
        });
    }
    rejected
}

fn unknown_warning(unknown: &[String]) -> Option<String> {
    (!unknown.is_empty())
        .then(|| format!("ignored unknown query parameters: {}", first_names(unknown)))
}

/// Reads `query` by the list rules: `limit` and `offset` into `page`, every other name of `known` to `field`
/// (which answers the rule broken), repeats refused, unknown names returned.
fn read(
    query: ListCallsQuery,
    known: &[&str],
    page: &mut PageParams,
    mut field: impl FnMut(&str, String) -> Result<(), String>,
) -> Result<Vec<String>, Vec<ParamError>> {
    let mut errors = Vec::new();
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    let mut repeated = BTreeSet::new();
    let mut unknown_seen = HashSet::new();
    for (name, value) in query.pairs {
        if !known.contains(&name.as_str()) {
            if unknown_seen.insert(name.clone()) {
                unknown.push(name);
            }
            continue;
        }
        if !seen.insert(name.clone()) {
            if repeated.insert(name.clone()) {
                errors.push(ParamError {
                    param: name,
                    rule: "is given more than once; send each parameter at most once".into(),
                });
            }
            continue;
        }
        let result = match name.as_str() {
            "limit" => parse_limit(&value).map(|limit| page.limit = limit),
            "offset" => parse_offset(&value).map(|(offset, beyond)| {
                page.offset = offset;
                page.offset_sent = beyond;
            }),
            other => field(other, value),
        };
        if let Err(rule) = result {
            errors.push(ParamError { param: name, rule });
        }
    }
    if errors.is_empty() {
        Ok(unknown)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bots(q: &str) -> Result<ListBotsParams, Vec<ParamError>> {
        ListBotsParams::try_from(ListCallsQuery::parse(Some(q)))
    }

    fn numbers(q: &str) -> Result<ListNumbersParams, Vec<ParamError>> {
        ListNumbersParams::try_from(ListCallsQuery::parse(Some(q)))
    }

    #[test]
    fn every_parameter_is_read_and_empty_values_mean_none() {
        let p = bots("limit=5&offset=7&name=Sup&created_after=2025-01-01&created_before=2025-02-01T00:00:00Z&x=1")
            .unwrap();
        assert_eq!(p.page.limit, 5);
        assert_eq!(p.page.offset, 7);
        assert_eq!(p.name.as_deref(), Some("Sup"));
        assert_eq!(p.created_after, Some(1_735_689_600_000));
        assert_eq!(p.created_before, Some(1_738_368_000_000));
        assert_eq!(p.unknown, ["x"]);
        assert_eq!(p.warnings(), ["ignored unknown query parameters: x"]);
        assert_eq!(bots("name=").unwrap().name, None);
        assert_eq!(bots("").unwrap(), ListBotsParams::default());
        assert_eq!(bots("").unwrap().page.limit, 50);

        let p = numbers("phone_number=%2B1415&name=main&offset=99999999999999999999999").unwrap();
        assert_eq!(p.phone_number.as_deref(), Some("+1415"));
        assert_eq!(p.name.as_deref(), Some("main"));
        assert_eq!(p.page.offset, u64::MAX);
        assert_eq!(
            p.page.offset_sent.as_deref(),
            Some("99999999999999999999999")
        );
        assert!(p.warnings().is_empty());
        assert_eq!(
            numbers("phone_number=+1415").unwrap().warnings(),
            [
                "phone_number starts with a space, which is what an unencoded '+' decodes to: send '+' as %2B"
            ]
        );
    }

    #[test]
    fn broken_rules_are_all_named_in_order_and_repeats_once() {
        let errors = bots("limit=0&created_after=yesterday&limit=3&limit=4&offset=-1").unwrap_err();
        let params: Vec<&str> = errors.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(params, ["limit", "created_after", "limit", "offset"]);
        assert!(errors[2].rule.contains("more than once"));
        assert!(errors[1].rule.contains("RFC 3339"), "{}", errors[1].rule);
        let errors = numbers("limit=101&phone_number=1&phone_number=2").unwrap_err();
        let params: Vec<&str> = errors.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(params, ["limit", "phone_number"]);
        // A parameter of the other list is unknown here.
        assert_eq!(
            numbers("created_after=x").unwrap().unknown,
            ["created_after"]
        );
    }
}
