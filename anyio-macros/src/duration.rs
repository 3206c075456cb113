//! Parsing of `timeout = "..."` values.

/// Parses `"30s"`, `"500ms"`, `"2m"` or `"1h"` into milliseconds.
pub(crate) fn parse_millis(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
        format!("timeout `{text}` has no unit: write it like \"30s\" or \"500ms\"")
    })?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("timeout `{text}` does not start with a whole number"))?;
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => {
            return Err(format!(
                "timeout `{text}` has unknown unit `{other}`: use ms, s, m or h"
            ))
        }
    };
    let millis = number
        .checked_mul(scale)
        .ok_or_else(|| format!("timeout `{text}` is too long"))?;
    if millis == 0 {
        return Err(format!("timeout `{text}` must be longer than zero"));
    }
    Ok(millis)
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn units() {
        assert_eq!(parse_millis("500ms"), Ok(500));
        assert_eq!(parse_millis("30s"), Ok(30_000));
        assert_eq!(parse_millis("2m"), Ok(120_000));
        assert_eq!(parse_millis("1h"), Ok(3_600_000));
    }

    #[test]
    fn bad_values_name_the_value() {
        assert!(parse_millis("30").unwrap_err().contains("`30`"));
        assert!(parse_millis("5x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse_millis("0s").unwrap_err().contains("longer than zero"));
        assert!(parse_millis("s").unwrap_err().contains("whole number"));
    }
}
