//! Masking of personal data for display (`410102********1234`, `138****5678`).
//!
//! Masking is the default everywhere a person is shown; revealing the full value is an
//! audited act decided above this crate.

use std::fmt;

/// Replaces all but the first `keep_start` and last `keep_end` characters with `*`.
///
/// A value too short to keep both ends is masked entirely.
pub fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(value.len());
    out.extend(&chars[..keep_start]);
    out.extend(std::iter::repeat_n(
        '*',
        chars.len() - keep_start - keep_end,
    ));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// Masks a personal name: the family name (first character) is kept, `张三丰` -> `张**`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A value that may only be displayed in its masked form.
///
/// `Display` and `Debug` print the mask; the full value needs an explicit [`Masked::reveal`],
/// which callers reach only through the audited reveal path.
#[derive(Clone, PartialEq, Eq)]
pub struct Masked<T> {
    value: T,
    mask: String,
}

impl<T> Masked<T> {
    /// Wraps a value with its display mask.
    pub fn new(value: T, mask: String) -> Masked<T> {
        Masked { value, mask }
    }

    /// The masked text.
    pub fn mask(&self) -> &str {
        &self.mask
    }

    /// The full value. Call only where the reveal has been authorised and audited.
    pub fn reveal(&self) -> &T {
        &self.value
    }
}

impl<T> fmt::Display for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask)
    }
}

impl<T> fmt::Debug for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masked({})", self.mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_ends() {
        assert_eq!(
            mask_middle("410102199003071230", 6, 4),
            "410102********1230"
        );
        assert_eq!(mask_middle("13812345678", 3, 4), "138****5678");
        assert_eq!(mask_middle("E1234", 3, 4), "*****");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn masked_never_prints_value() {
        let m = Masked::new("13812345678".to_string(), "138****5678".to_string());
        assert_eq!(format!("{m} {m:?}"), "138****5678 Masked(138****5678)");
        assert_eq!(m.reveal(), "13812345678");
    }
}
