//! Countries (ISO 3166-1) and the origin of a journey: a place in China named by its
//! jurisdiction code, or a country abroad.

use std::fmt;

use isocountry::CountryCode;

use crate::jurisdiction::JurisdictionCode;

/// A country, by its ISO 3166-1 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(CountryCode);

impl Country {
    /// Parses an alpha-2 (`JP`) or alpha-3 (`JPN`) code, in either case.
    ///
    /// # Errors
    /// A reason when the text is not an assigned ISO 3166-1 code.
    pub fn parse(text: &str) -> Result<Country, String> {
        let code = text.trim().to_ascii_uppercase();
        let found = match code.len() {
            2 => CountryCode::for_alpha2(&code).ok(),
            3 => CountryCode::for_alpha3(&code).ok(),
            _ => None,
        };
        found
            .map(Country)
            .ok_or_else(|| format!("{code:?} is not an ISO 3166-1 country code"))
    }

    /// The alpha-2 code, e.g. `JP`.
    pub fn alpha2(self) -> &'static str {
        self.0.alpha2()
    }

    /// The English short name, e.g. `Japan`.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Whether this is China (an arrival from here is domestic).
    pub fn is_china(self) -> bool {
        self.0 == CountryCode::CHN
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha2())
    }
}

/// Where a journey began.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A place in China, at any level.
    Domestic(JurisdictionCode),
    /// A country abroad.
    Abroad(Country),
}

impl Origin {
    /// Parses a jurisdiction code (digits) or a country code (letters; China is refused:
    /// name the place instead).
    ///
    /// # Errors
    /// The reason the text is neither.
    pub fn parse(text: &str) -> Result<Origin, String> {
        let text = text.trim();
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return JurisdictionCode::parse(text)
                .map(Origin::Domestic)
                .map_err(|e| e.to_string());
        }
        let country = Country::parse(text)?;
        if country.is_china() {
            return Err("a place in China is named by its jurisdiction code".to_string());
        }
        Ok(Origin::Abroad(country))
    }

    /// The stored form: the jurisdiction code or the alpha-2 country code.
    pub fn as_key(&self) -> String {
        match self {
            Origin::Domestic(code) => code.as_str().to_string(),
            Origin::Abroad(country) => country.alpha2().to_string(),
        }
    }

    /// Whether the journey began abroad.
    pub fn is_abroad(&self) -> bool {
        matches!(self, Origin::Abroad(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_and_places_parse_and_bad_codes_are_named() {
        assert_eq!(Country::parse("jpn").unwrap().alpha2(), "JP");
        assert_eq!(Country::parse("KR").unwrap().name(), "Korea (Republic of)");
        assert_eq!(
            Country::parse("XX").unwrap_err(),
            "\"XX\" is not an ISO 3166-1 country code"
        );
        assert_eq!(Origin::parse("US").unwrap().as_key(), "US");
        assert_eq!(
            Origin::parse("110105").unwrap(),
            Origin::Domestic(JurisdictionCode::parse("110105").unwrap())
        );
        assert!(Origin::parse("CN").is_err());
        assert!(Origin::parse("41170").is_err());
    }
}
