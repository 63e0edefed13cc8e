//! Seasons: periodic leaderboards derived from the server clock (UTC). A call with
//! `SEASON daily|weekly|monthly` works on the leaderboard of the current period, a key
//! named beside the one it names (see `season_key`), which expires one period after its
//! own ends, so the current and the previous season can always be read; reads take
//! `SEASON <period> PREVIOUS` for the previous one.

use crate::slot::Companions;
use crate::Error;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Daily,
    /// ISO 8601 weeks: Monday to Sunday, numbered within their ISO year.
    Weekly,
    Monthly,
}

/// One season: its name and when its leaderboard expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Season {
    /// `2026-11-26`, `2026-W48` or `2026-11`.
    pub name: String,
    /// Unix ms of the season's first instant.
    pub start_ms: i64,
    /// Unix ms of the season's end plus one more period.
    pub expire_at_ms: i64,
}

/// The season a call names: `SEASON period`, or `SEASON period PREVIOUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonChoice {
    pub period: Period,
    pub previous: bool,
}

impl SeasonChoice {
    /// The season this choice names at `now_ms`.
    pub fn season(&self, now_ms: i64) -> Season {
        let current = season_at(self.period, now_ms);
        if self.previous {
            season_at(self.period, current.start_ms.saturating_sub(1))
        } else {
            current
        }
    }
}

fn parse_period(word: &[u8]) -> Result<Period, Error> {
    if word.eq_ignore_ascii_case(b"DAILY") {
        Ok(Period::Daily)
    } else if word.eq_ignore_ascii_case(b"WEEKLY") {
        Ok(Period::Weekly)
    } else if word.eq_ignore_ascii_case(b"MONTHLY") {
        Ok(Period::Monthly)
    } else {
        Err(Error::Syntax)
    }
}

/// Where the options of a call (from argv index `options`) name `SEASON`. With
/// `data_values` (the command takes `DATA value`), the word after each `DATA` is its value,
/// whatever its bytes, and is skipped. No other option takes SEASON or PREVIOUS as its value.
fn season_index(args: &[&[u8]], options: usize, data_values: bool) -> Option<usize> {
    let mut index = options;
    while let Some(word) = args.get(index) {
        if word.eq_ignore_ascii_case(b"SEASON") {
            return Some(index);
        }
        let valued = data_values && word.eq_ignore_ascii_case(b"DATA");
        index = index.saturating_add(if valued { 2 } else { 1 });
    }
    None
}

/// Finds `SEASON period [PREVIOUS]` among the options of a call (from argv index
/// `options`; `data_values` as in `season_index`) and returns the arguments without it,
/// for the command's own parser.
pub fn take_season<'a>(
    args: &[&'a [u8]],
    options: usize,
    data_values: bool,
) -> Result<(Vec<&'a [u8]>, Option<SeasonChoice>), Error> {
    let Some(at) = season_index(args, options, data_values) else { return Ok((args.to_vec(), None)) };
    let period = parse_period(args.get(at + 1).ok_or(Error::Syntax)?)?;
    let previous = args.get(at + 2).is_some_and(|word| word.eq_ignore_ascii_case(b"PREVIOUS"));
    let taken = at..at + 2 + usize::from(previous);
    let rest: Vec<&[u8]> =
        args.iter().enumerate().filter(|(index, _)| !taken.contains(index)).map(|(_, word)| *word).collect();
    if season_index(&rest, options, data_values).is_some() {
        return Err(Error::Syntax);
    }
    Ok((rest, Some(SeasonChoice { period, previous })))
}

/// True when a call names a season (a cheap check before `take_season`).
pub fn names_season(args: &[&[u8]], options: usize, data_values: bool) -> bool {
    season_index(args, options, data_values).is_some()
}

/// Civil date (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Howard Hinnant's days_from_civil inverse, on eras of 400 years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The first day (days since epoch) of the month `months` after (year, month).
fn month_start(year: i64, month: i64, months: i64) -> i64 {
    let index = year * 12 + (month - 1) + months;
    days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1)
}

/// The season of `period` that holds `now_ms` (a unix time in ms, from the server clock).
pub fn season_at(period: Period, now_ms: i64) -> Season {
    let today = now_ms.max(0) / DAY_MS;
    let (year, month, day) = civil_from_days(today);
    // Each season is kept until the end of the next one.
    let (name, start_day, keep_until_day) = match period {
        Period::Daily => (format!("{year:04}-{month:02}-{day:02}"), today, today + 2),
        Period::Weekly => {
            // ISO weekday: 1 Monday .. 7 Sunday; 1970-01-01 was a Thursday.
            let weekday = (today + 3).rem_euclid(7) + 1;
            let monday = today - (weekday - 1);
            // An ISO week belongs to the year of its Thursday.
            let thursday = monday + 3;
            let (week_year, _, _) = civil_from_days(thursday);
            let week = (thursday - days_from_civil(week_year, 1, 1)) / 7 + 1;
            (format!("{week_year:04}-W{week:02}"), monday, monday + 14)
        }
        Period::Monthly => (format!("{year:04}-{month:02}"), month_start(year, month, 0), month_start(year, month, 2)),
    };
    Season { name, start_ms: start_day.saturating_mul(DAY_MS), expire_at_ms: keep_until_day.saturating_mul(DAY_MS) }
}

/// The leaderboard key of a season: `key:<season>`, beside `key` in its slot; only a key
/// with a hash tag has seasons (see `Companions`).
pub fn season_key(key: &[u8], season: &Season) -> Result<Vec<u8>, Error> {
    let mut suffix = Vec::with_capacity(season.name.len() + 1);
    suffix.push(b':');
    suffix.extend_from_slice(season.name.as_bytes());
    Ok(Companions::new(key, "seasonal leaderboard")?.name(&suffix).to_vec())
}

/// When `key` is a season's leaderboard named directly (`<base>:2026-11-26`,
/// `<base>:2026-W48` or `<base>:2026-11`, the base with a hash tag): its base key, the
/// season, and when the season ended (the next one's start), as `SEASON` gives them.
pub fn named_season(key: &[u8]) -> Option<(&[u8], Season, i64)> {
    // Every season's name ends in a digit: most keys are ruled out before any scan.
    if !key.last().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let colon = key.iter().rposition(|&b| b == b':')?;
    let (base, name) = (key.get(..colon)?, key.get(colon + 1..)?);
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = name.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(digits).ok()?.parse().ok())?
    };
    let dash = |at: usize| name.get(at) == Some(&b'-');
    let year = number(0..4).filter(|_| dash(4))?;
    let (period, day) = match name.len() {
        10 if dash(7) => (Period::Daily, days_from_civil(year, number(5..7)?, number(8..10)?)),
        8 if name.get(5) == Some(&b'W') => {
            // Week 1 holds January 4th; its Monday starts the ISO year.
            let january_4 = days_from_civil(year, 1, 4);
            let monday = january_4 - (january_4 + 3).rem_euclid(7);
            (Period::Weekly, monday + (number(6..8)? - 1) * 7)
        }
        7 => (Period::Monthly, month_start(year, number(5..7)?, 0)),
        _ => return None,
    };
    // Checked after the name, which rules out most keys sooner.
    crate::slot::hash_tag(base)?;
    // Out-of-range dates (2026-13, 2026-02-30, W60) name no season: their canonical name differs.
    let season = season_at(period, day.checked_mul(DAY_MS)?);
    if season.name.as_bytes() != name {
        return None;
    }
    // The season is kept through the next one, so its last instant lies in the next season.
    let ended_ms = season_at(period, season.expire_at_ms - 1).start_ms;
    Some((base, season, ended_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(year: i64, month: i64, day: i64, hour: i64) -> i64 {
        days_from_civil(year, month, day) * DAY_MS + hour * 3_600_000
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2026, 11, 26), 20_783);
        for days in (-1000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn seasons_are_named_in_utc() {
        let now = ms(2026, 11, 26, 23);
        assert_eq!(season_at(Period::Daily, now).name, "2026-11-26");
        assert_eq!(season_at(Period::Monthly, now).name, "2026-11");
        assert_eq!(season_at(Period::Weekly, now).name, "2026-W48");
        assert_eq!(season_at(Period::Daily, ms(2026, 11, 27, 0)).name, "2026-11-27");
    }

    #[test]
    fn iso_weeks_cross_year_ends() {
        // 2021-01-03 is a Sunday in the last week of 2020; 2024-12-30 a Monday in 2025's first.
        assert_eq!(season_at(Period::Weekly, ms(2021, 1, 3, 12)).name, "2020-W53");
        assert_eq!(season_at(Period::Weekly, ms(2021, 1, 4, 0)).name, "2021-W01");
        assert_eq!(season_at(Period::Weekly, ms(2024, 12, 30, 0)).name, "2025-W01");
        assert_eq!(season_at(Period::Weekly, ms(2026, 1, 1, 0)).name, "2026-W01");
        assert_eq!(season_at(Period::Weekly, ms(1970, 1, 1, 0)).name, "1970-W01");
    }

    #[test]
    fn seasons_expire_one_period_after_they_end() {
        assert_eq!(season_at(Period::Daily, ms(2026, 11, 26, 5)).expire_at_ms, ms(2026, 11, 28, 0));
        // Thursday 2026-11-26: the week ends Monday 11-30, kept until Monday 12-07.
        assert_eq!(season_at(Period::Weekly, ms(2026, 11, 26, 5)).expire_at_ms, ms(2026, 12, 7, 0));
        assert_eq!(season_at(Period::Monthly, ms(2026, 11, 26, 5)).expire_at_ms, ms(2027, 1, 1, 0));
        assert_eq!(season_at(Period::Monthly, ms(2026, 12, 31, 23)).expire_at_ms, ms(2027, 2, 1, 0));
    }

    #[test]
    fn season_options_are_taken_out_of_the_call() {
        let args: Vec<&[u8]> = vec![b"tourney.top", b"lb", b"10", b"season", b"Weekly", b"TIES", b"DENSE"];
        let (rest, choice) = take_season(&args, 3, false).unwrap();
        assert_eq!(choice, Some(SeasonChoice { period: Period::Weekly, previous: false }));
        assert_eq!(rest, vec![&b"tourney.top"[..], b"lb", b"10", b"TIES", b"DENSE"]);
        assert!(names_season(&args, 3, false));
        let plain: Vec<&[u8]> = vec![b"tourney.incr", b"lb", b"SEASON", b"1"];
        // A member named SEASON is not an option.
        assert_eq!(take_season(&plain, 4, false).unwrap().1, None);
        assert!(!names_season(&plain, 4, false));
        for bad in [&[&b"x"[..], b"k", b"m", b"1", b"SEASON"][..], &[b"x", b"k", b"m", b"1", b"SEASON", b"yearly"]] {
            assert_eq!(take_season(bad, 4, false), Err(Error::Syntax));
        }
        let twice: Vec<&[u8]> = vec![b"x", b"k", b"m", b"1", b"SEASON", b"daily", b"SEASON", b"daily"];
        assert_eq!(take_season(&twice, 4, false), Err(Error::Syntax));
        let previous: Vec<&[u8]> = vec![b"x", b"k", b"10", b"SEASON", b"monthly", b"previous", b"TIES", b"DENSE"];
        let (rest, choice) = take_season(&previous, 3, false).unwrap();
        assert_eq!(choice, Some(SeasonChoice { period: Period::Monthly, previous: true }));
        assert_eq!(rest, vec![&b"x"[..], b"k", b"10", b"TIES", b"DENSE"]);
        // The value of DATA may be any bytes, SEASON too.
        let data: Vec<&[u8]> = vec![b"x", b"k", b"m", b"1", b"DATA", b"season", b"SEASON", b"daily"];
        let (rest, choice) = take_season(&data, 4, true).unwrap();
        assert_eq!(choice, Some(SeasonChoice { period: Period::Daily, previous: false }));
        assert_eq!(rest, vec![&b"x"[..], b"k", b"m", b"1", b"DATA", b"season"]);
        assert!(!names_season(&data[..6], 4, true));
        assert!(names_season(&data[..6], 4, false));
    }

    #[test]
    fn previous_seasons_end_where_the_current_one_starts() {
        let now = ms(2026, 11, 26, 5);
        let previous = |period| SeasonChoice { period, previous: true }.season(now);
        assert_eq!(previous(Period::Daily).name, "2026-11-25");
        assert_eq!(previous(Period::Weekly).name, "2026-W47");
        assert_eq!(previous(Period::Monthly).name, "2026-10");
        assert_eq!(season_at(Period::Weekly, now).start_ms, ms(2026, 11, 23, 0));
        assert_eq!(season_at(Period::Monthly, now).start_ms, ms(2026, 11, 1, 0));
        assert_eq!(SeasonChoice { period: Period::Monthly, previous: true }.season(ms(2027, 1, 1, 0)).name, "2026-12");
        assert_eq!(SeasonChoice { period: Period::Weekly, previous: true }.season(ms(2021, 1, 4, 0)).name, "2020-W53");
        assert_eq!(SeasonChoice { period: Period::Daily, previous: false }.season(now), season_at(Period::Daily, now));
    }

    #[test]
    fn season_keys_share_the_slot() {
        let season = season_at(Period::Daily, ms(2026, 11, 26, 0));
        assert_eq!(season_key(b"t:{x}:lb", &season).unwrap(), b"t:{x}:lb:2026-11-26");
        // Untagged keys have no seasons: `{lb}:<season>` would be the key `{lb}`'s too.
        assert!(season_key(b"lb", &season).is_err());
        assert!(season_key(b"a}b", &season).is_err());
    }

    #[test]
    fn season_keys_named_directly_give_their_base_and_season() {
        let now = ms(2026, 12, 5, 13);
        for period in [Period::Daily, Period::Weekly, Period::Monthly] {
            let season = season_at(period, now);
            let key = season_key(b"d:{1}", &season).unwrap();
            let (base, named, ended) = named_season(&key).unwrap();
            assert_eq!((base, &named), (&b"d:{1}"[..], &season));
            assert_eq!(season_at(period, ended).start_ms, ended);
            assert_eq!(season_at(period, ended - 1), season);
        }
        assert_eq!(named_season(b"d:{1}:2020-W53").unwrap().1, season_at(Period::Weekly, ms(2021, 1, 3, 12)));
        assert_eq!(named_season(b"d:{1}:2024-02-29").unwrap().2, ms(2024, 3, 1, 0));
        for other in [
            &b"d:{1}:scores"[..],
            b"d:{1}:2026-1",
            b"lb:2026-12",
            b"d:{1}:2026-X49",
            b"2026-12",
            b"d:{1}:2026-13",
            b"d:{1}:2026-02-30",
            b"d:{1}:2026-W60",
            b"d:{1}:2026-W00",
        ] {
            assert_eq!(named_season(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}
