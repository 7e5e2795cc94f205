//! Timer schedules: convox's 5- or 6-field cron text → a valid EventBridge `cron(...)`.
//!
//! convox appends a year field to a 5-field schedule and passes it on unchecked, so a plain
//! Unix-style `0 3 * * *` becomes `cron(0 3 * * * *)`, which EventBridge rejects (one of
//! day-of-month / day-of-week must be `?`). Here a 5-field schedule gets its `?` where AWS needs
//! it, and every field is checked against EventBridge's grammar.

use crate::diagnostic::Code;
use crate::front::cx::Cx;
use crate::front::yaml::Node;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl Field {
    const SIX: [Field; 6] = [
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
        Field::Year,
    ];
    fn name(self) -> &'static str {
        match self {
            Field::Minute => "minutes",
            Field::Hour => "hours",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
            Field::Year => "year",
        }
    }
    fn range(self) -> (u32, u32) {
        match self {
            Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (1, 7),
            Field::Year => (1970, 2199),
        }
    }
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            Field::DayOfWeek => &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            _ => &[],
        }
    }
}

/// Check a schedule and return the EventBridge expression, reporting problems at `n`.
pub fn to_eventbridge(cx: &mut Cx, n: &Node, path: &str, schedule: &str) -> Option<String> {
    match convert(schedule) {
        Ok((expr, warnings)) => {
            for w in warnings {
                cx.warn(
                    Code::ScheduleDayOfWeek,
                    n,
                    path,
                    w,
                    Some("write day names (MON-FRI) to be unambiguous".into()),
                );
            }
            Some(expr)
        }
        Err((msg, help)) => {
            cx.error(Code::Schedule, n, path, msg, help);
            None
        }
    }
}

type Problem = (String, Option<String>);

/// The EventBridge expression and any warnings, or the problem and a help line.
pub fn convert(schedule: &str) -> Result<(String, Vec<String>), Problem> {
    let s = schedule.trim();
    if s.starts_with("rate(") || s.starts_with("cron(") || s.starts_with('@') {
        return Err((
            format!("invalid schedule expression `{s}`"),
            Some("convox timers take the cron fields only (it adds cron(...) itself): write e.g. \"0 3 * * ?\" or \"*/5 * * * ? *\"".into()),
        ));
    }
    let mut fields: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    let five = fields.len() == 5;
    if !(fields.len() == 5 || fields.len() == 6) {
        return Err((
            format!(
                "invalid schedule expression `{s}`: expected 5 or 6 fields, found {}",
                fields.len()
            ),
            Some("fields: minutes hours day-of-month month day-of-week [year]".into()),
        ));
    }
    let mut warnings = Vec::new();
    if five {
        fields.push("*".into());
        let (dom, dow) = (fields[2].as_str(), fields[4].as_str());
        let blank = |f: &str| f == "*" || f == "?";
        match (blank(dom), blank(dow)) {
            (_, true) => fields[4] = "?".into(),
            (true, false) => fields[2] = "?".into(),
            (false, false) => {
                return Err((
                    format!("schedule `{s}` sets both day-of-month and day-of-week"),
                    Some("EventBridge runs on one or the other: set the unused one to ?".into()),
                ));
            }
        }
        if fields[4] != "?" && fields[4].bytes().any(|b| b.is_ascii_digit()) && !fields[4].contains('#') {
            warnings.push(format!(
                "day-of-week `{}` is read by EventBridge as 1=Sunday … 7=Saturday, not Unix cron's 0/7=Sunday, 1=Monday",
                fields[4]
            ));
        }
    }
    for (f, text) in Field::SIX.iter().zip(&fields) {
        check_field(*f, text).map_err(|m| (format!("schedule `{s}`: {} field `{text}` {m}", f.name()), None))?;
    }
    let (dom_q, dow_q) = (fields[2] == "?", fields[4] == "?");
    if dom_q == dow_q {
        let fixed = {
            let mut g = fields.clone();
            if g[4] == "*" || g[4] == "?" {
                g[4] = "?".into();
            } else {
                g[2] = "?".into();
            }
            g.join(" ")
        };
        let msg = if dom_q {
            format!("schedule `{s}` has ? in both day-of-month and day-of-week")
        } else {
            format!("schedule `{s}` needs ? in day-of-month or day-of-week (EventBridge requires exactly one)")
        };
        return Err((msg, Some(format!("write \"{fixed}\""))));
    }
    Ok((format!("cron({})", fields.join(" ")), warnings))
}

fn check_field(f: Field, text: &str) -> Result<(), String> {
    if text == "?" {
        return if matches!(f, Field::DayOfMonth | Field::DayOfWeek) {
            Ok(())
        } else {
            Err("may not be ?".into())
        };
    }
    for item in text.split(',') {
        check_item(f, item)?;
    }
    Ok(())
}

fn check_item(f: Field, item: &str) -> Result<(), String> {
    let (_, hi) = f.range();
    if item.is_empty() {
        return Err("has an empty list item".into());
    }
    // special forms
    match f {
        Field::DayOfMonth if item == "L" || item == "LW" => return Ok(()),
        Field::DayOfMonth if item.ends_with('W') => {
            return value(f, &item[..item.len() - 1]).map(|_| ());
        }
        Field::DayOfWeek if item == "L" => return Ok(()),
        Field::DayOfWeek if item.ends_with('L') => {
            return value(f, &item[..item.len() - 1]).map(|_| ());
        }
        Field::DayOfWeek if item.contains('#') => {
            let (d, k) = item.split_once('#').unwrap_or((item, ""));
            value(f, d)?;
            return match k.parse::<u32>() {
                Ok(1..=5) => Ok(()),
                _ => Err(format!("has `#{k}`: the week must be 1-5")),
            };
        }
        _ => {}
    }
    let (base, step) = match item.split_once('/') {
        Some((b, s)) => (b, Some(s)),
        None => (item, None),
    };
    if let Some(step) = step {
        match step.parse::<u32>() {
            Ok(n) if n >= 1 && n <= hi => {}
            _ => return Err(format!("has an invalid step `/{step}`")),
        }
    }
    if base == "*" {
        return Ok(());
    }
    match base.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (value(f, a)?, value(f, b)?);
            if a > b && !matches!(f, Field::DayOfWeek | Field::Month) {
                return Err(format!("has a range that runs backwards ({a}-{b})"));
            }
        }
        None => {
            value(f, base)?;
        }
    }
    Ok(())
}

fn value(f: Field, t: &str) -> Result<u32, String> {
    let (lo, hi) = f.range();
    if let Some(i) = f.names().iter().position(|n| n.eq_ignore_ascii_case(t)) {
        return Ok(i as u32 + 1);
    }
    match t.parse::<u32>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        Ok(v) if f == Field::DayOfWeek && v == 0 => {
            Err("uses 0: EventBridge counts days of the week 1 (SUN) to 7 (SAT); write SUN".into())
        }
        Ok(v) => Err(format!("has {v}, outside {lo}-{hi}")),
        Err(_) => Err(format!("has `{t}`, which is not a value of this field")),
    }
}

#[cfg(test)]
mod tests {
    use super::convert;

    fn ok(s: &str) -> String {
        convert(s).unwrap().0
    }

    #[test]
    fn five_fields_get_a_question_mark_and_a_year() {
        assert_eq!(ok("0 3 * * *"), "cron(0 3 * * ? *)");
        assert_eq!(ok("*/5 * * * *"), "cron(*/5 * * * ? *)");
        assert_eq!(ok("0 9 * * MON-FRI"), "cron(0 9 ? * MON-FRI *)");
        assert_eq!(ok("0 0 1 * *"), "cron(0 0 1 * ? *)");
        assert_eq!(ok("0 3 * * ?"), "cron(0 3 * * ? *)");
        assert!(convert("0 0 1 * MON").is_err());
        let (_, w) = convert("0 9 * * 1-5").unwrap();
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn six_fields_are_checked_as_eventbridge() {
        assert_eq!(ok("0 3 * * ? *"), "cron(0 3 * * ? *)");
        assert_eq!(ok("15 10 ? * 6L 2030-2040"), "cron(15 10 ? * 6L 2030-2040)");
        assert_eq!(ok("0 12 L * ? *"), "cron(0 12 L * ? *)");
        assert_eq!(ok("0 12 ? * 2#1 *"), "cron(0 12 ? * 2#1 *)");
        let (msg, help) = convert("0 3 * * * *").unwrap_err();
        assert!(msg.contains("needs ?"), "{msg}");
        assert_eq!(help.unwrap(), "write \"0 3 * * ? *\"");
        assert!(convert("0 3 ? * ? *").is_err());
        assert!(convert("60 3 * * ?").is_err());
        assert!(convert("0 24 * * ?").is_err());
        assert!(convert("0 0 * * 0").is_err());
        assert!(convert("0 0 ? * 1#6 *").is_err());
    }

    #[test]
    fn wrong_shapes() {
        assert!(convert("").is_err());
        assert!(convert("rate(5 minutes)").is_err());
        assert!(convert("cron(0 3 * * ? *)").is_err());
        assert!(convert("@daily").is_err());
        assert!(convert("* * *").is_err());
    }
}
