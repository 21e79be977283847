//! Generated inputs for the server properties: plain numbers and choices ([`FilterSpec`], [`DateSpec`]),
//! interpreted against the listed data, so shrinking moves towards fewer filters, the first calls and exact
//! values, and so a boundary case can be written in the same terms as a random one.

use proptest::prelude::*;

use crate::contract::dates::{
    format_bare_date, format_rfc3339_ms, format_rfc3339_offset, midnight_of,
};
use crate::contract::reference::{DateBound, ListQuery};
use crate::server::context::Ctx;
use crate::server::dataset::Dataset;

// towards fewer filters, the first calls and exact values.

/// How a filter value is derived from a real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The value itself.
    Exact,
    /// All but its last character.
    Prefix,
    /// Letters in the other case (a phone number loses its `+`).
    OtherCase,
    /// With a space before or after.
    Whitespace,
    /// With a character appended.
    Suffix,
}

impl Variant {
    /// Every variant, the value itself first.
    pub const ALL: [Variant; 5] = [
        Variant::Exact,
        Variant::Prefix,
        Variant::OtherCase,
        Variant::Whitespace,
        Variant::Suffix,
    ];
}

pub(crate) fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        4 => Just(Variant::Exact),
        1 => Just(Variant::Prefix),
        1 => Just(Variant::OtherCase),
        1 => Just(Variant::Whitespace),
        1 => Just(Variant::Suffix),
    ]
}

/// `value` changed as `variant` says.
pub fn near_miss(value: &str, variant: Variant) -> String {
    match variant {
        Variant::Exact => value.to_string(),
        Variant::Prefix if value.chars().count() > 1 => {
            let mut s = value.to_string();
            s.pop();
            s
        }
        Variant::Prefix | Variant::Suffix => format!("{value}0"),
        Variant::OtherCase if value.chars().any(|c| c.is_ascii_alphabetic()) => value
            .chars()
            .map(|c| {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect(),
        Variant::OtherCase => match value.strip_prefix('+') {
            Some(rest) => rest.to_string(),
            None => format!("+{value}"),
        },
        Variant::Whitespace if value.len().is_multiple_of(2) => format!(" {value}"),
        Variant::Whitespace => format!("{value} "),
    }
}

/// How a date bound is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2025-12-01T10:00:00.123Z`.
    Utc,
    /// `2025-12-01T12:00:00.123+02:00` (or another offset).
    Offset,
    /// `2025-12-01` (midnight UTC of that day; the ±1 ms is dropped).
    Bare,
}

/// A date bound taken from a real call.
#[derive(Debug, Clone, Copy)]
pub struct DateSpec {
    /// Whether the bound comes from the other call of a [`FilterSpec`] (or the later of two times).
    pub from_other: bool,
    /// Milliseconds added to the call's `start_timestamp`: -1, 0 or 1.
    pub delta_ms: i64,
    /// How the bound is written.
    pub format: DateFormat,
}

pub(crate) fn date_spec(bare: bool) -> impl Strategy<Value = DateSpec> {
    let format = if bare {
        prop_oneof![2 => Just(DateFormat::Utc), 1 => Just(DateFormat::Offset), 1 => Just(DateFormat::Bare)].boxed()
    } else {
        prop_oneof![2 => Just(DateFormat::Utc), 1 => Just(DateFormat::Offset)].boxed()
    };
    (
        any::<bool>(),
        prop_oneof![Just(0i64), Just(-1), Just(1)],
        format,
    )
        .prop_map(|(from_other, delta_ms, format)| DateSpec {
            from_other,
            delta_ms,
            format,
        })
}

pub(crate) fn bound(ms: i64, format: DateFormat) -> DateBound {
    match format {
        DateFormat::Utc => DateBound {
            ms,
            text: format_rfc3339_ms(ms),
        },
        DateFormat::Offset => DateBound {
            ms,
            text: format_rfc3339_offset(ms, 150),
        },
        DateFormat::Bare => DateBound {
            ms: midnight_of(ms),
            text: format_bare_date(ms),
        },
    }
}

/// A filter combination drawn from two real calls (a pivot and another), so results are often non-empty.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    /// Index of the call most filters take their value from.
    pub pivot: usize,
    /// Index of a second call, for filters whose `bool` says "from the other call".
    pub other: usize,
    /// `customer_id` from the pivot or the other call, exact or a near miss.
    pub customer_id: Option<(bool, Variant)>,
    /// `from_number`, likewise.
    pub from_number: Option<(bool, Variant)>,
    /// `to_number`, likewise.
    pub to_number: Option<(bool, Variant)>,
    /// `bot_id` (the call's `agent_id`), likewise.
    pub bot_id: Option<(bool, Variant)>,
    /// `call_status` of the pivot (`false`) or the other call (`true`).
    pub call_status: Option<bool>,
    /// `call_type`, likewise.
    pub call_type: Option<bool>,
    /// `from_date` near one of the two calls' start.
    pub from_date: Option<DateSpec>,
    /// `to_date`, likewise.
    pub to_date: Option<DateSpec>,
}

pub(crate) fn filter_spec(n: usize, density: f64) -> impl Strategy<Value = FilterSpec> {
    let text = move || proptest::option::weighted(density, (any::<bool>(), variant()));
    let pick = move || proptest::option::weighted(density, any::<bool>());
    let date = move || proptest::option::weighted(density, date_spec(true));
    (
        0..n,
        0..n,
        (text(), text(), text(), text()),
        (pick(), pick()),
        (date(), date()),
    )
        .prop_map(|(pivot, other, texts, enums, dates)| FilterSpec {
            pivot,
            other,
            customer_id: texts.0,
            from_number: texts.1,
            to_number: texts.2,
            bot_id: texts.3,
            call_status: enums.0,
            call_type: enums.1,
            from_date: dates.0,
            to_date: dates.1,
        })
}

impl FilterSpec {
    /// No filter at all, with `pivot` as both calls (for a spec that sets one filter on top).
    pub(crate) fn unfiltered(pivot: usize) -> FilterSpec {
        FilterSpec {
            pivot,
            other: pivot,
            customer_id: None,
            from_number: None,
            to_number: None,
            bot_id: None,
            call_status: None,
            call_type: None,
            from_date: None,
            to_date: None,
        }
    }

    /// The query this spec stands for, over `ctx`'s data and window.
    pub(crate) fn query(&self, ctx: &Ctx<'_>) -> ListQuery {
        let calls = &ctx.data.calls;
        let pick = |other: bool| &calls[if other { self.other } else { self.pivot }].0;
        let text = |spec: Option<(bool, Variant)>,
                    field: fn(&openmic_fixtures::Call) -> Option<&str>| {
            spec.and_then(|(other, v)| field(pick(other)).map(|value| near_miss(value, v)))
        };
        let date = |spec: Option<DateSpec>| {
            spec.and_then(|d| {
                pick(d.from_other)
                    .start_timestamp
                    .map(|t| bound(t.millis() as i64 + d.delta_ms, d.format))
            })
        };
        let mut query = ListQuery {
            customer_id: text(self.customer_id, |c| c.customer_id.as_deref()),
            from_number: text(self.from_number, |c| Some(&c.from_number)),
            to_number: text(self.to_number, |c| Some(&c.to_number)),
            bot_id: text(self.bot_id, |c| Some(&c.agent_id)),
            call_status: self.call_status.map(|o| pick(o).call_status),
            call_type: self.call_type.map(|o| pick(o).call_type),
            from_date: date(self.from_date),
            to_date: date(self.to_date),
            ..ListQuery::default()
        };
        apply_window(ctx.data, &mut query);
        query
    }
}

/// Keeps a query inside the data window, when the data was too large to list whole, and before the calls
/// still in flight, when there were any.
pub(crate) fn apply_window(data: &Dataset, query: &mut ListQuery) {
    if let Some(window) = &data.window
        && query.from_date.as_ref().is_none_or(|d| d.ms < window.ms)
    {
        query.from_date = Some(window.clone());
    }
    if let Some(until) = &data.until
        && query.to_date.as_ref().is_none_or(|d| d.ms > until.ms)
    {
        query.to_date = Some(until.clone());
    }
}

/// The input of `filtering`: filters, `limit`, `offset`.
pub type PageInput = (FilterSpec, Option<u64>, Option<u64>);

/// The input of `date_bounds`: which bounds (0 from, 1 to, 2 both), two indexes into the sorted start times,
/// and how each bound is taken from them.
pub type DateBoundsInput = (usize, usize, usize, DateSpec, DateSpec);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_kept_inside_the_window_and_before_the_calls_in_flight() {
        let at = |ms: i64| crate::contract::reference::DateBound {
            ms,
            text: ms.to_string(),
        };
        let data = Dataset {
            window: Some(at(1_000)),
            until: Some(at(5_000)),
            ..Dataset::default()
        };
        let bounds = |from: Option<i64>, to: Option<i64>| {
            let mut query = ListQuery {
                from_date: from.map(at),
                to_date: to.map(at),
                ..ListQuery::default()
            };
            apply_window(&data, &mut query);
            (query.from_date.map(|d| d.ms), query.to_date.map(|d| d.ms))
        };
        assert_eq!(bounds(None, None), (Some(1_000), Some(5_000)));
        assert_eq!(bounds(Some(500), Some(6_000)), (Some(1_000), Some(5_000)));
        assert_eq!(bounds(Some(999), Some(5_001)), (Some(1_000), Some(5_000)));
        assert_eq!(bounds(Some(1_000), Some(5_000)), (Some(1_000), Some(5_000)));
        assert_eq!(bounds(Some(2_000), Some(3_000)), (Some(2_000), Some(3_000)));
        assert_eq!(bounds(Some(1_001), Some(4_999)), (Some(1_001), Some(4_999)));
        let mut open = ListQuery::default();
        apply_window(&Dataset::default(), &mut open);
        assert_eq!((open.from_date, open.to_date), (None, None));
    }

    #[test]
    fn each_near_miss_changes_the_value_its_own_way() {
        assert_eq!(near_miss("ended", Variant::Exact), "ended");
        assert_eq!(near_miss("ended", Variant::Prefix), "ende");
        assert_eq!(
            near_miss("a", Variant::Prefix),
            "a0",
            "one character has no prefix"
        );
        assert_eq!(near_miss("ended", Variant::Suffix), "ended0");
        assert_eq!(near_miss("Bot_7", Variant::OtherCase), "bOT_7");
        assert_eq!(near_miss("+12125550100", Variant::OtherCase), "12125550100");
        assert_eq!(near_miss("12125550100", Variant::OtherCase), "+12125550100");
        assert_eq!(near_miss("ab", Variant::Whitespace), " ab");
        assert_eq!(near_miss("abc", Variant::Whitespace), "abc ");
    }
}
